/**
 * A local program for the mirror tests and bench row P6, run under `mirrord exec`: it records every
 * connection it accepts (what it read, and from whom accept() and getpeername() say it came).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execEnv, mirrordBinary } from "../support/binary.ts";

/**
 * The local program (one asyncio loop, so bursts of connections are accepted at once): listens on each
 * port given, reads every connection to its end, answers (into the void: replies of a mirrored
 * connection go nowhere), and appends one JSON line per connection to the records file: digests
 * of all it read and of what followed the first blank line (an HTTP body), and the text before it.
 * Records go to a file rather than stdout: Bun's reading of a child's stdout pipe lost chunks under
 * load, and P6 then counted copies the program had received as lost.
 */
const RECORDER = `
import asyncio, hashlib, json, sys
records = open(sys.argv[1], "a", buffering=1)
async def serve(reader, writer, port):
    peer = writer.get_extra_info("peername")  # what accept() returned
    peername = writer.get_extra_info("socket").getpeername()
    data = bytearray()
    try:
        while chunk := await reader.read(65536):
            data += chunk
        writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 5\\r\\n\\r\\nlocal")
        await writer.drain()
    except OSError:
        pass
    writer.close()
    split = data.find(b"\\r\\n\\r\\n")
    records.write(json.dumps({"port": port, "peer": list(peer[:2]), "peername": list(peername[:2]), "bytes": len(data),
                      "sha256": hashlib.sha256(data).hexdigest(), "head": bytes(data[:max(split, 0)][:4096]).decode("latin1"),
                      "bodySha256": hashlib.sha256(data[split + 4:] if split >= 0 else b"").hexdigest()}) + "\\n")
async def main():
    for port in map(int, sys.argv[2:]):
        await asyncio.start_server(lambda r, w, port=port: serve(r, w, port), "0.0.0.0", port, backlog=4096, reuse_address=True)
    print("listening", flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
`;

export interface Received {
  port: number;
  peer: [string, number];
  peername: [string, number];
  bytes: number;
  sha256: string;
  head: string;
  bodySha256: string;
}

export interface Recorder {
  received(): Received[];
  /** Waits until a copy came from each of these client ports. */
  from(clientPorts: readonly number[], timeoutMs: number): Promise<Map<number, Received>>;
  stop(): Promise<void>;
}

/** Runs the recorder under `mirrord exec -f <configPath>` against the agent at `agentAddress`, until it listens. */
export async function startRecorder(
  agentAddress: string,
  configPath: string,
  ports: readonly number[],
): Promise<Recorder> {
  const work = mkdtempSync(join(tmpdir(), "mirror-recorder-"));
  const recordsPath = join(work, "records.jsonl");
  const child = Bun.spawn(
    [
      mirrordBinary(),
      "exec",
      "-f",
      configPath,
      "--",
      "python3",
      "-c",
      RECORDER,
      recordsPath,
      ...ports.map(String),
    ],
    {
      env: execEnv(agentAddress),
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  let stdout = "";
  let stderr = "";
  void (async () => {
    for await (const chunk of child.stdout) stdout += new TextDecoder().decode(chunk);
  })();
  void (async () => {
    for await (const chunk of child.stderr) stderr += new TextDecoder().decode(chunk);
  })();
  const started = Date.now();
  while (!stdout.includes("listening")) {
    if (child.exitCode !== null || Date.now() - started > 30_000) {
      child.kill("SIGKILL");
      rmSync(work, { recursive: true, force: true });
      throw new Error(`the local program did not start listening: ${stdout}${stderr}`);
    }
    await Bun.sleep(50);
  }
  // Only finished lines: the last one may still be being written.
  const received = () => {
    const records = readFileSync(recordsPath, { encoding: "utf8", flag: "a+" });
    return records
      .slice(0, records.lastIndexOf("\n") + 1)
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Received);
  };
  return {
    received,
    async from(clientPorts, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const byPort = new Map(received().map((record) => [record.peer[1], record]));
        const missing = clientPorts.filter((port) => !byPort.has(port));
        if (missing.length === 0) return byPort;
        if (Date.now() > deadline)
          throw new Error(
            `no copy from ${missing.length} client ports (e.g. ${missing.slice(0, 5)}); stderr: ${stderr}`,
          );
        await Bun.sleep(50);
      }
    },
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await child.exited;
      clearTimeout(timer);
      rmSync(work, { recursive: true, force: true });
    },
  };
}
