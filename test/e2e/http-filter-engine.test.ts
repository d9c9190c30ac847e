/**
 * Filtered steal through the agent's HTTP engine and the intproxy's replayer, with real clients (curl,
 * node, python, Bun's WebSocket) and real apps on loopback: matching requests are answered by the
 * subscriber's local program, the rest by the pod's app, on the same client connection.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../support/binary.ts";
import { type FilteredSteal, startFilteredSteal } from "./http-filter-harness.ts";

interface Answer {
  side: string;
  method: string;
  url: string;
  version: string;
  user: string | null;
  bytes: number;
  sha256: string;
}

const scratch = mkdtempSync(join(tmpdir(), "mirrord-http-filter-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function answers(stdout: string): Answer[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith('{"side"'))
    .map((line) => JSON.parse(line) as Answer);
}

async function curl(args: string[]): Promise<string> {
  const result = await run(["curl", "--silent", "--show-error", "--max-time", "60", ...args], {
    timeoutMs: 90_000,
  });
  if (result.code !== 0) throw new Error(`curl ${args.join(" ")} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

async function script(argv: string[], source: string): Promise<string> {
  const result = await run([...argv, source], { timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`${argv[0]} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

describe("header filter on HTTP/1.1", () => {
  let steal: FilteredSteal;
  beforeAll(async () => {
    steal = await startFilteredSteal([{ kind: "header", regex: "^x-user: alice$" }]);
  }, 60_000);
  afterAll(() => steal.stop());

  test("curl: matching and other requests interleave on one keep-alive connection", async () => {
    const url = `http://127.0.0.1:${steal.port}`;
    const before = steal.accepted();
    const out = await curl([
      ...["-w", "\\n", "-H", "x-user: alice", `${url}/one`, "--next"],
      ...["--silent", "-w", "\\n", `${url}/two`, "--next"],
      ...["--silent", "-w", "\\n", "-H", "x-user: alice", `${url}/three`, "--next"],
      ...["--silent", "-w", "\\n", "-H", "x-user: bob", `${url}/four`],
    ]);
    expect(answers(out).map(({ side, url }) => `${side} ${url}`)).toEqual([
      "local0 /one",
      "pod /two",
      "local0 /three",
      "pod /four",
    ]);
    expect(steal.accepted() - before).toBe(1);
  }, 60_000);

  test("node: a keep-alive client sees its own connection's peer in the local program", async () => {
    const out = await script(
      ["node", "-e"],
      `const http = require("node:http");
       const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
       const get = (path, user) => new Promise((resolve, reject) => {
         const request = http.get({ host: "127.0.0.1", port: ${steal.port}, path, agent, headers: user ? { "x-user": user } : {} }, (response) => {
           let body = ""; response.on("data", (d) => (body += d)); response.on("end", () => resolve({ body, port: request.socket.localPort }));
         });
         request.on("error", reject);
       });
       (async () => { const ports = new Set();
         for (const [path, user] of [["/a", "alice"], ["/b", null], ["/c", "ALICE"], ["/d", "alice"]]) {
           const { body, port } = await get(path, user); ports.add(port); console.log(body);
         }
         console.log(JSON.stringify({ ports: [...ports] })); agent.destroy(); })();`,
    );
    // The filter is case-insensitive: `ALICE` matches too.
    expect(answers(out).map(({ side, url }) => `${side} ${url}`)).toEqual([
      "local0 /a",
      "pod /b",
      "local0 /c",
      "local0 /d",
    ]);
    const { ports } = JSON.parse(out.trim().split("\n").at(-1) as string) as { ports: number[] };
    expect(ports.length).toBe(1);
    const peers = steal.subscribers[0]?.peers.map(
      (peer) => peer.remoteAddress.kind === "ipv4" && peer.remoteAddress.port,
    );
    expect(peers).toContain(ports[0]);
  }, 60_000);

  test("python: pipelined requests are answered in request order", async () => {
    const out = await script(
      ["python3", "-c"],
      `import socket, re
s = socket.create_connection(("127.0.0.1", ${steal.port}))
s.sendall(b"GET /slow HTTP/1.1\\r\\nHost: x\\r\\nX-User: alice\\r\\n\\r\\n"
          b"GET /pod HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"
          b"GET /last HTTP/1.1\\r\\nHost: x\\r\\nX-User: alice\\r\\nConnection: close\\r\\n\\r\\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk: break
    data += chunk
for body in re.findall(rb"\\{[^}]*\\}", data): print(body.decode())`,
    );
    expect(answers(out).map(({ side, url }) => `${side} ${url}`)).toEqual([
      "local0 /slow",
      "pod /pod",
      "local0 /last",
    ]);
  }, 60_000);

  test("curl: chunked bodies and Expect: 100-continue reach either side intact", async () => {
    const body = randomBytes(300_000);
    const file = join(scratch, "chunked.bin");
    writeFileSync(file, body);
    const sha256 = createHash("sha256").update(body).digest("hex");
    const url = `http://127.0.0.1:${steal.port}/upload`;
    const chunked = ["-H", "Transfer-Encoding: chunked", "--data-binary", `@${file}`];
    const expect100 = ["-H", "Expect: 100-continue", "--data-binary", `@${file}`];
    const results = [
      ...answers(await curl([...chunked, "-H", "x-user: alice", url])),
      ...answers(await curl([...chunked, url])),
      ...answers(await curl([...expect100, "-H", "x-user: alice", url])),
      ...answers(await curl([...expect100, url])),
    ];
    expect(results.map(({ side, bytes, sha256 }) => [side, bytes, sha256])).toEqual([
      ["local0", body.length, sha256],
      ["pod", body.length, sha256],
      ["local0", body.length, sha256],
      ["pod", body.length, sha256],
    ]);
  }, 60_000);

  test("curl: a 50 MiB request body reaches each side intact", async () => {
    const body = randomBytes(50 << 20);
    const file = join(scratch, "big.bin");
    writeFileSync(file, body);
    const sha256 = createHash("sha256").update(body).digest("hex");
    const url = `http://127.0.0.1:${steal.port}/big`;
    const stolen = answers(await curl(["--data-binary", `@${file}`, "-H", "x-user: alice", url]));
    const passed = answers(await curl(["--data-binary", `@${file}`, url]));
    expect([...stolen, ...passed].map(({ side, bytes, sha256 }) => [side, bytes, sha256])).toEqual([
      ["local0", body.length, sha256],
      ["pod", body.length, sha256],
    ]);
  }, 120_000);

  test("WebSocket: a matching upgrade is echoed by the local program, another one by the pod", async () => {
    const echo = (headers: Record<string, string>) =>
      new Promise<string[]>((resolve, reject) => {
        const socket = new WebSocket(`ws://127.0.0.1:${steal.port}/ws`, { headers } as unknown as string[]);
        const received: string[] = [];
        const timer = setTimeout(() => reject(new Error("no WebSocket echo within 20 s")), 20_000);
        socket.onopen = () => socket.send("hello");
        socket.onmessage = (event) => {
          received.push(String(event.data));
          if (received.length < 3) socket.send(`again ${received.length}`);
          else {
            clearTimeout(timer);
            socket.close();
            resolve(received);
          }
        };
        socket.onerror = () => reject(new Error("WebSocket failed"));
      });
    expect(await echo({ "x-user": "alice" })).toEqual([
      "local0: hello",
      "local0: again 1",
      "local0: again 2",
    ]);
    expect(await echo({})).toEqual(["pod: hello", "pod: again 1", "pod: again 2"]);
  }, 60_000);
});

describe("HTTP/2 prior knowledge", () => {
  let steal: FilteredSteal;
  beforeAll(async () => {
    steal = await startFilteredSteal([{ kind: "path", regex: "^/mine/" }]);
  }, 60_000);
  afterAll(() => steal.stop());

  // curl 7.88 (Debian bookworm) fails reusing an h2c prior-knowledge connection even against node's own
  // server, so curl sends one request per connection here and node multiplexes below.
  test("curl: an HTTP/2 request is stolen or passed through by its path", async () => {
    const url = `http://127.0.0.1:${steal.port}`;
    const one = async (path: string) => answers(await curl(["--http2-prior-knowledge", `${url}${path}`]));
    const results = [...(await one("/mine/1?q=1")), ...(await one("/theirs"))];
    expect(results.map(({ side, url, version }) => `${side} ${url} ${version}`)).toEqual([
      "local0 /mine/1?q=1 2.0",
      "pod /theirs 2.0",
    ]);
  }, 60_000);

  test("node: concurrent streams of one connection are judged one by one", async () => {
    const before = steal.accepted();
    const out = await script(
      ["node", "-e"],
      `const http2 = require("node:http2");
       const session = http2.connect("http://127.0.0.1:${steal.port}");
       const get = (path) => new Promise((resolve, reject) => {
         const stream = session.request({ ":path": path });
         let body = ""; stream.on("data", (d) => (body += d)); stream.on("end", () => resolve(body)); stream.on("error", reject);
       });
       Promise.all(["/mine/a", "/slow/b", "/mine/slow", "/c"].map(get)).then((bodies) => { for (const b of bodies) console.log(b); session.close(); });`,
    );
    expect(answers(out).map(({ side, url }) => `${side} ${url}`)).toEqual([
      "local0 /mine/a",
      "pod /slow/b",
      "local0 /mine/slow",
      "pod /c",
    ]);
    expect(steal.accepted() - before).toBe(1);
  }, 60_000);
});

describe("documented negative look-aheads", () => {
  let steal: FilteredSteal;
  beforeAll(async () => {
    steal = await startFilteredSteal([
      {
        kind: "allOf",
        filters: [
          { kind: "header", regex: "^User-Agent: (?!kube-probe)" },
          { kind: "path", regex: "^(?!/health/)" },
        ],
      },
    ]);
  }, 60_000);
  afterAll(() => steal.stop());

  test("kubelet probes and health checks stay with the pod, the rest is stolen", async () => {
    const url = `http://127.0.0.1:${steal.port}`;
    const sides = async (agent: string, path: string) =>
      answers(await curl(["-A", agent, `${url}${path}`])).map(({ side }) => side);
    expect(await sides("kube-probe/1.29", "/ready")).toEqual(["pod"]);
    expect(await sides("curl/7.88", "/health/live")).toEqual(["pod"]);
    expect(await sides("curl/7.88", "/orders")).toEqual(["local0"]);
  }, 60_000);
});

describe("several subscribers on one port", () => {
  let steal: FilteredSteal;
  beforeAll(async () => {
    steal = await startFilteredSteal([
      { kind: "header", regex: "^x-user: alice$" },
      {
        kind: "anyOf",
        filters: [
          { kind: "header", regex: "^x-user: bob$" },
          { kind: "path", regex: "^/shared" },
        ],
      },
    ]);
  }, 60_000);
  afterAll(() => steal.stop());

  test("each gets only its own requests; the earlier subscription wins an overlap and the later one is warned", async () => {
    const url = `http://127.0.0.1:${steal.port}`;
    const out = await curl([
      ...["-w", "\\n", "-H", "x-user: alice", `${url}/a`, "--next"],
      ...["--silent", "-w", "\\n", "-H", "x-user: bob", `${url}/b`, "--next"],
      ...["--silent", "-w", "\\n", `${url}/c`, "--next"],
      ...["--silent", "-w", "\\n", "-H", "x-user: alice", `${url}/shared/d`, "--next"],
      ...["--silent", "-w", "\\n", `${url}/shared/e`],
    ]);
    expect(answers(out).map(({ side, url }) => `${side} ${url}`)).toEqual([
      "local0 /a",
      "local1 /b",
      "pod /c",
      "local0 /shared/d",
      "local1 /shared/e",
    ]);
    expect(steal.subscribers[0]?.warnings).toEqual([]);
    expect(steal.subscribers[1]?.warnings).toHaveLength(1);
    expect(steal.subscribers[1]?.warnings[0]).toContain("overlap");
  }, 60_000);
});

describe("traffic that is not HTTP", () => {
  let steal: FilteredSteal;
  let greeter: net.Server;
  beforeAll(async () => {
    // A server-first protocol: the pod's app speaks before the client does.
    greeter = net.createServer((socket) => {
      socket.write("220 pod ready\r\n");
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => greeter.listen(0, "127.0.0.1", resolve));
    const pod = { port: (greeter.address() as net.AddressInfo).port, stop: () => greeter.close() };
    steal = await startFilteredSteal([{ kind: "header", regex: "." }], { pod, detectionTimeoutMs: 300 });
  }, 60_000);
  afterAll(async () => {
    await steal.stop();
    greeter.close();
  });

  test("python: bytes go to the pod's app untouched, both ways, after the detection timeout", async () => {
    const out = await script(
      ["python3", "-c"],
      `import socket
s = socket.create_connection(("127.0.0.1", ${steal.port}))
s.settimeout(20)
greeting = s.recv(100)
payload = bytes(range(256)) * 64
s.sendall(payload)
echo = b""
while len(echo) < len(payload): echo += s.recv(65536)
print(greeting.decode().strip(), echo == payload)`,
    );
    expect(out.trim()).toBe("220 pod ready True");
  }, 60_000);

  test("python: binary a client sends first is recognised as not HTTP at once", async () => {
    const out = await script(
      ["python3", "-c"],
      `import socket
s = socket.create_connection(("127.0.0.1", ${steal.port}))
s.settimeout(20)
s.sendall(b"\\x16\\x03\\x01binary")
got = b""
while len(got) < len(b"220 pod ready\\r\\n\\x16\\x03\\x01binary"): got += s.recv(100)
print(got)`,
    );
    expect(out.trim()).toBe(String.raw`b'220 pod ready\r\n\x16\x03\x01binary'`);
  }, 60_000);
});
