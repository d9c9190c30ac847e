/**
 * Outgoing traffic under `mirrord exec`: real programs (curl, Python, Node, a C client) reach
 * services that only the pod can reach — a cluster HTTP service by its cluster names, a TCP echo,
 * a UDP echo, a unix socket in the pod — and see the pod's view in getpeername/getsockname.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Pod,
  type Service,
  SimProcess,
  sampleApps,
  simulatorUnavailableReason,
} from "../simulator/index.ts";
import { run } from "../support/binary.ts";
import { withLoopbackResolver } from "../support/hermetic-dns.ts";
import { type PodSession, startPodSession } from "../support/pod-session.ts";
import { compileProgram, keyValueLines } from "../support/programs.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING outgoing end-to-end tests: ${unavailable}`);

const UNIX_PATH = "/run/echo.sock";
const POD_V6_PORT = 7600;

let session: PodSession;
let web: Service;
let echo: Service;
let udpPod: Pod;
let bin: string;
const spawned: SimProcess[] = [];

beforeAll(async () => {
  if (unavailable) return;
  bin = mkdtempSync(join(tmpdir(), "mirrord-outgoing-test-"));
  await compileProgram("net_out_client", bin);
  session = await startPodSession("outg", { name: "api", app: sampleApps.httpEcho(8080), ports: [8080] });
  const { cluster, pod } = session;
  web = await cluster.addService({
    name: "web",
    port: 9090,
    app: sampleApps.httpEcho(9090),
    env: { APP_MODE: "cluster-only-web" },
  });
  echo = await cluster.addService({ name: "echo", port: 7000, app: sampleApps.tcpEcho(7000) });
  udpPod = await cluster.addPod({ name: "udp", app: sampleApps.udpEcho(5353) });
  await udpPod.app?.waitForStdout(/udp-echo listening/, "the UDP echo to listen", 15_000);
  const unixEcho = new SimProcess(pod.commandLine(sampleApps.unixEcho(UNIX_PATH)));
  spawned.push(unixEcho);
  await unixEcho.waitForStdout(/unix-echo listening/, "the unix echo to listen", 15_000);
  const v6Echo = cluster.spawnInPodNetns(pod, [
    "python3",
    "-c",
    `import socket
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::1", ${POD_V6_PORT})); s.listen(); print("v6 listening", flush=True)
while True:
    c, _ = s.accept(); c.sendall(b"v6 of the pod:" + c.recv(100)); c.close()`,
  ]);
  spawned.push(v6Echo);
  await v6Echo.waitForStdout(/v6 listening/, "the pod's IPv6 loopback server", 15_000);
}, 90_000);

afterAll(async () => {
  await Promise.all(spawned.map((process_) => process_.stop(1_000)));
  await session?.destroy();
  if (bin) rmSync(bin, { recursive: true, force: true });
});

describe.skipIf(unavailable !== undefined)("outgoing traffic under mirrord exec", () => {
  test("curl reaches a cluster-only HTTP service by its full and short names; the laptop cannot", async () => {
    const laptop = await run(
      withLoopbackResolver(["curl", "-sS", "--max-time", "5", `http://${web.fqdn}:9090/`]),
    );
    expect(laptop.code).not.toBe(0);
    const direct = await run(["curl", "-sS", "--max-time", "5", `http://${web.ip}:9090/`]);
    expect(direct.code).not.toBe(0);

    for (const host of [web.fqdn, "web"]) {
      const result = await session.exec(
        ["--", "curl", "-sS", "--max-time", "20", `http://${host}:9090/from-curl`],
        {
          loopbackResolver: true,
        },
      );
      expect(result.stderr).toBe("");
      const body = JSON.parse(result.stdout);
      expect(body).toMatchObject({ mode: "cluster-only-web", method: "GET", path: "/from-curl" });
    }
  });

  test("a C client: blocking and non-blocking TCP, getpeername/getsockname show the pod's view", async () => {
    for (const mode of ["tcp", "tcp-nonblocking"]) {
      const result = await session.exec([
        "--",
        join(bin, "net_out_client"),
        mode,
        echo.ip,
        "7000",
        `hello ${mode}`,
      ]);
      const out = keyValueLines(result.stdout);
      expect(out.error).toBeUndefined();
      expect(out.reply).toBe(`hello ${mode}`);
      expect(out.peer).toBe(`${echo.ip}:7000`);
      expect(out.local).toStartWith(`${session.pod.ip}:`);
      if (mode === "tcp-nonblocking") expect(out.connect).toMatch(/^(immediate|in-progress)$/);
    }
  });

  test("IPv6: the pod's own [::1] is reached (localhost is the pod's unless ignore_localhost)", async () => {
    const result = await session.exec([
      "--",
      join(bin, "net_out_client"),
      "tcp",
      "::1",
      String(POD_V6_PORT),
      "hi",
    ]);
    const out = keyValueLines(result.stdout);
    expect(out.error).toBeUndefined();
    expect(out.reply).toBe("v6 of the pod:hi");
    expect(out.peer).toBe(`::1:${POD_V6_PORT}`);
  });

  test("a refused remote connect fails with ECONNREFUSED", async () => {
    const result = await session.exec(["--", join(bin, "net_out_client"), "tcp", echo.ip, "7001", "x"]);
    expect(keyValueLines(result.stdout).error).toBe("connect:Connection refused");
  });

  test("UDP through connect, sendto and sendmsg: answers come from the remote's address", async () => {
    for (const mode of ["udp-connect", "udp-sendto", "udp-sendmsg"]) {
      const result = await session.exec(["--", join(bin, "net_out_client"), mode, udpPod.ip, "5353", mode]);
      const out = keyValueLines(result.stdout);
      expect(out.error).toBeUndefined();
      expect(out.reply).toBe(`echo:${mode}`);
      expect(out.from).toBe(`${udpPod.ip}:5353`);
      if (mode === "udp-connect") expect(out.peer).toBe(`${udpPod.ip}:5353`);
    }
  });

  test("Python: urllib, a TCP socket and UDP sendto/recvfrom", async () => {
    const script = `
import json, socket, urllib.request
body = json.load(urllib.request.urlopen("http://web:9090/py", timeout=20))
print("http=" + body["mode"] + body["path"])
s = socket.create_connection(("echo", 7000), timeout=20)
s.sendall(b"py-tcp"); s.shutdown(socket.SHUT_WR)
print("tcp=" + s.recv(100).decode() + " peer=" + s.getpeername()[0])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(10)
u.sendto(b"py-udp", ("${udpPod.ip}", 5353))
data, source = u.recvfrom(100)
print("udp=" + data.decode() + " from=" + source[0] + ":" + str(source[1]))
`;
    const result = await session.exec(["--", "python3", "-c", script]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("http=cluster-only-web/py");
    expect(result.stdout).toContain(`tcp=py-tcp peer=${echo.ip}`);
    expect(result.stdout).toContain(`udp=echo:py-udp from=${udpPod.ip}:5353`);
  });

  test("Node: http, net and dgram", async () => {
    const script = `
const http = require("http"), net = require("net"), dgram = require("dgram");
http.get("http://web:9090/node", (res) => {
  let body = ""; res.on("data", (c) => (body += c));
  res.on("end", () => {
    console.log("http=" + JSON.parse(body).path);
    const socket = net.connect(7000, "echo", () => socket.end("node-tcp"));
    let echoed = ""; socket.on("data", (c) => (echoed += c));
    socket.on("end", () => {
      console.log("tcp=" + echoed + " peer=" + socket.remoteAddress);
      const udp = dgram.createSocket("udp4");
      udp.on("message", (msg, from) => { console.log("udp=" + msg + " from=" + from.address); udp.close(); });
      udp.send("node-udp", 5353, "${udpPod.ip}");
    });
  });
});
setTimeout(() => { console.log("timeout"); process.exit(1); }, 20000).unref();
`;
    const result = await session.exec(["--", "node", "-e", script], { env: { UV_USE_IO_URING: "0" } });
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("http=/node");
    expect(result.stdout).toContain(`tcp=node-tcp peer=${echo.ip}`);
    expect(result.stdout).toContain(`udp=echo:node-udp from=${udpPod.ip}`);
  });

  test("a program calling itself on localhost reaches its own listener, wherever listen_ports put it", async () => {
    const localPort = 20_000 + Math.floor(Math.random() * 20_000);
    const config = join(bin, "self.json");
    writeFileSync(
      config,
      JSON.stringify({
        feature: { network: { incoming: { mode: "mirror", listen_ports: [[8080, localPort]] } } },
      }),
    );
    const script = `
import socket, threading
server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("0.0.0.0", 8080)); server.listen()
def serve():
    conn, _ = server.accept(); conn.sendall(b"myself"); conn.close()
threading.Thread(target=serve, daemon=True).start()
client = socket.create_connection(("127.0.0.1", 8080), timeout=10)
print("got=" + client.recv(100).decode())
`;
    const result = await session.exec(["-f", config, "--", "python3", "-c", script]);
    // Without this, 127.0.0.1:8080 would be the pod's own app (the HTTP echo) through the agent.
    expect(result.stdout.trim()).toBe("got=myself");
  });

  test("a connection outlives the process that opened it in a child it forked", async () => {
    const script = `
import os, socket, sys, time
s = socket.create_connection(("${echo.ip}", 7000), timeout=20)
if os.fork() > 0:
    os._exit(0)  # the parent (and its layer session) goes away at once
time.sleep(6.5)  # longer than the intproxy's idle timeout once no layer is left (5 s)
s.sendall(b"from the child"); s.shutdown(socket.SHUT_WR)
with open(sys.argv[1], "w") as out: out.write(s.recv(100).decode())
`;
    const out = join(bin, "child-reply");
    await session.exec(["--", "python3", "-c", script, out]);
    let reply = "";
    for (let waited = 0; waited < 30_000 && reply === ""; waited += 100) {
      await Bun.sleep(100);
      reply = await Bun.file(out)
        .text()
        .catch(() => "");
    }
    expect(reply).toBe("from the child");
  });

  test("unix_streams: a matching path is the pod's unix socket", async () => {
    const config = join(bin, "unix.json");
    writeFileSync(
      config,
      JSON.stringify({ feature: { network: { outgoing: { unix_streams: "^/run/echo\\.sock$" } } } }),
    );
    const result = await session.exec([
      "-f",
      config,
      "--",
      join(bin, "net_out_client"),
      "unix",
      UNIX_PATH,
      "to-pod",
    ]);
    expect(keyValueLines(result.stdout)).toMatchObject({ reply: "to-pod" });
    const unmatched = await session.exec(["--", join(bin, "net_out_client"), "unix", UNIX_PATH, "local"]);
    expect(keyValueLines(unmatched.stdout).error).toStartWith("connect:");
  });
});
