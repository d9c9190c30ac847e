/**
 * `feature.network.outgoing` routing under `mirrord exec`: the same address (127.0.0.1:PORT) is served
 * on the laptop AND inside the pod by servers that say which side they are, so every filter form
 * (`ignore_localhost`, ip, subnet, port, protocol, host name, remote and local lists, `tcp`/`udp` off)
 * shows where a connection really went.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Pod,
  type Service,
  type SimProcess,
  sampleApps,
  simulatorUnavailableReason,
} from "../simulator/index.ts";
import { type PodSession, startPodSession } from "../support/pod-session.ts";
import { compileProgram } from "../support/programs.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING outgoing filter end-to-end tests: ${unavailable}`);

let session: PodSession;
let web: Service;
let udpPod: Pod;
let bin: string;
let laptopServer: Server;
let port: number;
let podServer: SimProcess;

/** Which side answered a TCP connection to 127.0.0.1:port ("laptop", "pod", or the client's error). */
async function sideOf(config: object | null, host = "127.0.0.1"): Promise<string> {
  const args = ["--", join(bin, "net_out_client"), "tcp", host, String(port), "x"];
  if (config) {
    const file = join(bin, `config-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify({ feature: { network: { outgoing: config } } }));
    args.unshift("-f", file);
  }
  const result = await session.exec(args);
  const reply = /^reply=(\w+):x$/m.exec(result.stdout)?.[1];
  return reply ?? /^error=(.*)$/m.exec(result.stdout)?.[1] ?? `no output: ${result.stderr}`;
}

async function webReachable(config: object): Promise<boolean> {
  const file = join(bin, `web-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ feature: { network: { outgoing: config } } }));
  const result = await session.exec([
    "-f",
    file,
    "--",
    "curl",
    "-sS",
    "--max-time",
    "5",
    `http://${web.fqdn}:9090/`,
  ]);
  return result.code === 0 && result.stdout.includes('"path"');
}

async function udpReachable(config: object): Promise<boolean> {
  const file = join(bin, `udp-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ feature: { network: { outgoing: config } } }));
  const result = await session.exec(
    ["-f", file, "--", join(bin, "net_out_client"), "udp-sendto", udpPod.ip, "5353", "u"],
    { timeoutMs: 30_000 },
  );
  return result.stdout.includes("reply=echo:u");
}

beforeAll(async () => {
  if (unavailable) return;
  bin = mkdtempSync(join(tmpdir(), "mirrord-outfilter-test-"));
  await compileProgram("net_out_client", bin);
  laptopServer = createServer((socket) => {
    socket.on("data", (data) => socket.end(`laptop:${data}`));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => laptopServer.listen(0, "127.0.0.1", resolve));
  port = (laptopServer.address() as { port: number }).port;
  session = await startPodSession("outf", { name: "api", app: sampleApps.httpEcho(8080), ports: [8080] });
  web = await session.cluster.addService({ name: "web", port: 9090, app: sampleApps.httpEcho(9090) });
  udpPod = await session.cluster.addPod({ name: "udp", app: sampleApps.udpEcho(5353) });
  await udpPod.app?.waitForStdout(/udp-echo listening/, "the UDP echo to listen", 15_000);
  podServer = session.cluster.spawnInPodNetns(session.pod, [
    "python3",
    "-c",
    `import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", ${port})); s.listen(); print("pod listening", flush=True)
while True:
    c, _ = s.accept(); c.sendall(b"pod:" + c.recv(100)); c.close()`,
  ]);
  await podServer.waitForStdout(/pod listening/, "the pod's loopback server", 15_000);
}, 90_000);

afterAll(async () => {
  await podServer?.stop(1_000);
  laptopServer?.close();
  await session?.destroy();
  if (bin) rmSync(bin, { recursive: true, force: true });
});

describe.skipIf(unavailable !== undefined)("outgoing filter", () => {
  test("localhost is the pod's by default; ignore_localhost keeps it on the laptop", async () => {
    expect(await sideOf(null)).toBe("pod");
    expect(await sideOf({ ignore_localhost: true })).toBe("laptop");
  });

  test("tcp: false keeps every TCP connection local; udp: false keeps UDP local", async () => {
    expect(await sideOf({ tcp: false })).toBe("laptop");
    expect(await udpReachable({ udp: false })).toBe(false);
    expect(await udpReachable({ tcp: false })).toBe(true);
  });

  test("a local list: ip, subnet, port-only and protocol entries keep matches on the laptop", async () => {
    for (const entry of ["127.0.0.1", "127.0.0.0/8", `:${port}`, `tcp://127.0.0.1:${port}`, "0.0.0.0"])
      expect(`${entry} → ${await sideOf({ filter: { local: [entry] } })}`).toBe(`${entry} → laptop`);
    expect(await sideOf({ filter: { local: ["127.0.0.1:1"] } })).toBe("pod");
    expect(await sideOf({ filter: { local: [`udp://127.0.0.1:${port}`] } })).toBe("pod");
    expect(await webReachable({ filter: { local: ["127.0.0.1"] } })).toBe(true);
  });

  test("a local list with a host name resolves it locally (localhost from the laptop's hosts file)", async () => {
    expect(await sideOf({ filter: { local: ["localhost"] } })).toBe("laptop");
  });

  test("a remote list: only matches go to the pod, the rest stays local", async () => {
    expect(await sideOf({ filter: { remote: ["10.244.0.0/16"] } })).toBe("laptop");
    expect(await webReachable({ filter: { remote: ["10.244.0.0/16"] } })).toBe(true);
    expect(await sideOf({ filter: { remote: [`127.0.0.1:${port}`] } })).toBe("pod");
    expect(await webReachable({ filter: { remote: [`127.0.0.1:${port}`] } })).toBe(false);
  });

  test("a remote list with a cluster host name resolves it through the pod and routes it remotely", async () => {
    const config = { filter: { remote: [`${web.fqdn}:9090`] } };
    expect(await webReachable(config)).toBe(true);
    expect(await sideOf(config)).toBe("laptop");
  });

  test("host names of a local outgoing filter are resolved on the laptop too (reflected into dns.filter)", async () => {
    const file = join(bin, "reflect.json");
    writeFileSync(
      file,
      JSON.stringify({ feature: { network: { outgoing: { filter: { local: [web.fqdn] } } } } }),
    );
    const curl = (host: string) =>
      session.exec(["-f", file, "--", "curl", "-sS", "--max-time", "5", `http://${host}:9090/`], {
        loopbackResolver: true,
      });
    expect((await curl(web.fqdn)).stderr).toContain("Could not resolve host");
    expect((await curl("web")).stdout).toContain('"path"');
  });

  test("protocol entries: udp:// sends only UDP to the pod", async () => {
    const config = { filter: { remote: ["udp://10.244.0.0/16"] } };
    expect(await udpReachable(config)).toBe(true);
    expect(await webReachable(config)).toBe(false);
  });
});
