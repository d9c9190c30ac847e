/**
 * The network probe scripts/verify-macos runs on a Mac (layer/macos/verify/net_probe.c), run here the
 * same way on Linux: `mirrord exec` against a targetless agent on loopback, with TCP, UDP and unix
 * stream echo servers. Keeps the Mac check honest (its probe and its expectations cannot rot unseen) and
 * checks targetless outgoing, socket names across dup/fcntl/close and a refused subscription on Linux.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess, TCPSocketListener, UnixSocketListener } from "bun";
import { execEnv, mirrordBinary, REPO_ROOT, run } from "../support/binary.ts";
import { compileC } from "../support/programs.ts";

const dir = mkdtempSync(join(tmpdir(), "mirrord-net-probe-"));
const probe = join(dir, "net_probe");
const unixPath = join(dir, "mirrord-echo.sock");
const echo = {
  data: (socket: { write(data: Uint8Array): number }, data: Uint8Array) => void socket.write(data),
};
let tcp: TCPSocketListener;
let unix: UnixSocketListener<undefined>;
let udp: UdpSocket;
let agent: Subprocess<"ignore", "ignore", "pipe">;
let agentPort: number;

async function freePort(): Promise<number> {
  const probeListener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: echo });
  const { port } = probeListener;
  probeListener.stop(true);
  return port;
}

async function waitForAgent(): Promise<void> {
  const reader = agent.stderr.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  const deadline = Date.now() + 15_000;
  while (!/listening/.test(seen)) {
    if (Date.now() > deadline) throw new Error(`the agent did not listen within 15 s: ${seen}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`the agent exited: ${seen}`);
    seen += decoder.decode(value);
  }
  reader.releaseLock();
}

beforeAll(async () => {
  await compileC(join(REPO_ROOT, "layer", "macos", "verify", "net_probe.c"), probe, [
    "-std=gnu11",
    "-Wall",
    "-Wextra",
    "-Werror",
  ]);
  tcp = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: echo });
  unix = Bun.listen({ unix: unixPath, socket: echo });
  udp = createSocket("udp4");
  udp.on("message", (message, remote) => udp.send(message, remote.port, remote.address));
  await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
  agentPort = await freePort();
  agent = Bun.spawn(
    [
      mirrordBinary(),
      "agent",
      "--communicate-port",
      String(agentPort),
      "--communication-timeout",
      "60",
      "targetless",
    ],
    { stdin: "ignore", stdout: "ignore", stderr: "pipe" },
  );
  await waitForAgent();
}, 60_000);

afterAll(() => {
  agent?.kill();
  tcp?.stop(true);
  unix?.stop(true);
  udp?.close();
  rmSync(dir, { recursive: true, force: true });
});

const probeArgs = () => [probe, String(tcp.port), String(udp.address().port), unixPath];

test("under mirrord exec every check of the macOS probe passes (outgoing TCP/UDP/unix, names, fd dups, a local server)", async () => {
  const config = join(dir, "mirrord.json");
  // The same pattern as verify-macos: \w needs REG_ENHANCED on macOS, PCRE2 here.
  writeFileSync(
    config,
    JSON.stringify({ feature: { network: { outgoing: { unix_streams: "\\w+-echo\\.sock$" } } } }),
  );
  const result = await run([mirrordBinary(), "exec", "-f", config, "--", ...probeArgs()], {
    env: execEnv(`127.0.0.1:${agentPort}`),
    timeoutMs: 60_000,
  });
  const lines = result.stdout.trim().split("\n");
  expect(lines.filter((line) => !line.startsWith("ok "))).toEqual([]);
  expect(lines.length).toBe(19);
  expect(result.stderr).toMatch(
    /mirrord: port \d+ stays local, the subscription failed: Operation not supported/,
  );
  expect(result.code).toBe(0);
}, 90_000);

test("without mirrord the probe fails exactly its proof-of-route checks", async () => {
  const result = await run(probeArgs(), { timeoutMs: 30_000 });
  expect(result.stdout.split("\n").filter((line) => line.startsWith("FAIL"))).toEqual([
    "FAIL the socket is really connected elsewhere (the intproxy's intercept)",
    "FAIL the unix stream is really connected elsewhere (unix_streams matched: the intproxy's intercept)",
  ]);
  expect(result.code).toBe(1);
});
