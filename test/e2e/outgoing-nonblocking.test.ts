/**
 * Non-blocking outgoing TCP under `mirrord exec` (layer.md §5c, non_blocking_tcp_connect): an event-loop
 * program never waits for the pod's connect. Its timers keep running while a remote that never answers
 * is tried, a refused remote shows up as an error event (a reset), and a connection that works carries
 * data whole both ways with getsockname reporting the pod-side address.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type Pod, type Service, sampleApps, simulatorUnavailableReason } from "../simulator/index.ts";
import { run } from "../support/binary.ts";
import { type PodSession, startPodSession } from "../support/pod-session.ts";
import { keyValueLines } from "../support/programs.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING non-blocking outgoing end-to-end tests: ${unavailable}`);

const PROGRAMS = join(import.meta.dir, "programs");
const NODE_PROGRAM = join(PROGRAMS, "net_out_nonblocking.mjs");
const WHOAMI_PORT = 7100;
const REFUSED_PORT = 7101;
const BLACKHOLE_PORT = 7102;
/** libuv must not use io_uring: the layer only sees calls made through libc. */
const NODE_ENV = { UV_USE_IO_URING: "0" };

let session: PodSession;
let whoami: Pod;
let web: Service;
let dropRule: string[] = [];

/** Sends "<peer ip>:<peer port>\n" (IPv4 or IPv6), then echoes everything until the client finishes. */
const WHOAMI_SERVER = `import socket, threading
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", ${WHOAMI_PORT})); s.listen()
def serve(c, peer):
    c.sendall(("%s:%d\\n" % (peer[0].removeprefix("::ffff:"), peer[1])).encode())
    while True:
        data = c.recv(65536)
        if not data: break
        c.sendall(data)
    c.close()
while True:
    c, peer = s.accept(); threading.Thread(target=serve, args=(c, peer), daemon=True).start()`;

beforeAll(async () => {
  if (unavailable) return;
  session = await startPodSession("nbc", { name: "api", app: sampleApps.httpEcho(8080), ports: [8080] });
  whoami = await session.cluster.addPod({
    name: "whoami",
    app: ["python3", "-c", WHOAMI_SERVER],
    ports: [WHOAMI_PORT],
  });
  web = await session.cluster.addService({ name: "web", port: 9090, app: sampleApps.httpEcho(9090) });
  // The target pod's SYNs to this port vanish: the pod's connect neither succeeds nor fails.
  dropRule = ["-p", "tcp", "-d", whoami.ip, "--dport", String(BLACKHOLE_PORT), "-j", "DROP"];
  const added = await run([
    "ip",
    "netns",
    "exec",
    session.pod.netns,
    "iptables",
    "-I",
    "OUTPUT",
    ...dropRule,
  ]);
  if (added.code !== 0) throw new Error(`cannot add the DROP rule: ${added.stderr}`);
}, 90_000);

afterAll(async () => {
  if (session && dropRule.length > 0)
    await run(["ip", "netns", "exec", session.pod.netns, "iptables", "-D", "OUTPUT", ...dropRule]);
  await session?.destroy();
});

describe.skipIf(unavailable !== undefined)("non-blocking outgoing TCP under mirrord exec", () => {
  test("Node's timers keep ticking while the pod's connect to a silent remote is pending", async () => {
    const result = await session.exec(
      ["--", "node", NODE_PROGRAM, "pending", whoami.ip, String(BLACKHOLE_PORT), "2000"],
      { env: NODE_ENV },
    );
    const out = keyValueLines(result.stdout);
    expect(result.code).toBe(0);
    // The program's own give-up ends it (the pod's connect would take the agent's 30 s timeout).
    expect(out.outcome).toBe("timeout");
    // 2 s of 10 ms ticks is ~200; a loaded machine gets fewer, a blocked event loop none at all.
    expect(Number(out.ticks)).toBeGreaterThan(40);
  });

  test("Node gets an error event, not a hang, when the pod's connect is refused", async () => {
    const result = await session.exec(
      ["--", "node", NODE_PROGRAM, "refused", whoami.ip, String(REFUSED_PORT)],
      {
        env: NODE_ENV,
      },
    );
    expect(result.code).toBe(0);
    expect(keyValueLines(result.stdout).outcome).toMatch(/^(ECONNRESET|ECONNREFUSED)$/);
  });

  test("Python asyncio gets a connection error, not a hang, when the pod's connect is refused", async () => {
    const program = join(PROGRAMS, "net_out_nonblocking.py");
    const result = await session.exec(["--", "python3", program, whoami.ip, String(REFUSED_PORT)]);
    expect(result.code).toBe(0);
    expect(keyValueLines(result.stdout).outcome).toMatch(/^(ConnectionResetError|ConnectionRefusedError)$/);
  });

  test("Node over IPv4 and IPv6: 4 MiB arrive whole both ways and getsockname is the pod-side address the server saw", async () => {
    const routes: [host: string, podIp: string][] = [
      [whoami.ip, session.pod.ip],
      [whoami.ipv6, session.pod.ipv6],
    ];
    for (const [host, podIp] of routes) {
      const result = await session.exec(
        ["--", "node", NODE_PROGRAM, "bulk", host, String(WHOAMI_PORT), String(4 << 20)],
        { env: NODE_ENV },
      );
      const out = keyValueLines(result.stdout);
      expect(result.stderr).toBe("");
      expect(out.outcome).toBeUndefined();
      expect(out.echoed).toBe(out.sent);
      expect(out.server_saw).toStartWith(`${podIp}:`);
      expect(out.sockname).toBe(out.server_saw);
    }
  });

  test("curl (a non-blocking connect) reaches a cluster service", async () => {
    const result = await session.exec(["--", "curl", "-sS", "--max-time", "20", `http://${web.ip}:9090/nb`]);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toMatchObject({ method: "GET", path: "/nb" });
  });
});
