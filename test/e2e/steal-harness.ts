/**
 * Shared by the steal end-to-end tests: a local program under `mirrord exec` (net_in_server.py), the
 * load generator in a client namespace (net_in_load.py), and agents started by hand in a pod.
 */
import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster, type Pod, type SimProcess, sampleApps } from "../simulator/index.ts";
import { APPS_MOUNT } from "../simulator/rootfs.ts";
import { execEnv, mirrordBinary } from "../support/binary.ts";

const PROGRAMS = join(import.meta.dir, "programs");
export const SERVER = join(PROGRAMS, "net_in_server.py");
const LOAD = join(PROGRAMS, "net_in_load.py");

export interface LocalProgram {
  output(): string;
  /** Ends the program (SIGTERM) and waits for mirrord exec to return; idempotent. */
  stop(): Promise<void>;
}

let configs = 0;

/** Runs `net_in_server.py <args>` under `mirrord exec` with `feature.network.incoming`, until it listens. */
export async function startLocal(
  agentAddress: string,
  scratch: string,
  incoming: unknown,
  args: string[],
): Promise<LocalProgram> {
  const config = join(scratch, `config-${configs++}.json`);
  writeFileSync(config, JSON.stringify({ feature: { network: { incoming } } }));
  const child = Bun.spawn([mirrordBinary(), "exec", "-f", config, "--", "python3", SERVER, ...args], {
    env: execEnv(agentAddress),
    stdout: "pipe",
    stderr: "pipe",
  });
  let output = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) output += new TextDecoder().decode(chunk);
  };
  void collect(child.stdout);
  void collect(child.stderr);
  const deadline = Date.now() + 30_000;
  while (!/listening \d+/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the local program did not start listening: ${output}`);
    }
    await Bun.sleep(50);
  }
  return {
    output: () => output,
    stop: async () => {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await child.exited;
      clearTimeout(timer);
    },
  };
}

export interface LoadResult {
  /** Epoch seconds. */
  start: number;
  /** "local" | "cluster" | "refused" | "reset" | "timeout" | "error: …" */
  outcome: string;
}

/** Starts HTTP load (a new connection per request) from `client` to `pod:port` (its IPv4 address by default). */
export function startLoad(
  cluster: Cluster,
  client: Pod,
  pod: Pod,
  port: number,
  seconds: number,
  address = pod.ip,
): SimProcess {
  return cluster.spawnInPodNetns(client, ["python3", LOAD, address, String(port), String(seconds), "8"]);
}

export async function loadResults(load: SimProcess): Promise<LoadResult[]> {
  await load.exited;
  return load
    .stdout()
    .trim()
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as LoadResult);
}

export interface StartedAgent {
  process: SimProcess;
  /** host:port for MIRRORD_CONNECT_TCP. */
  address: string;
}

/** A further agent in `pod` (its own port and port-forward), e.g. with another steal backend. */
export async function startAgent(
  cluster: Cluster,
  pod: Pod,
  port: number,
  env: Record<string, string> = {},
): Promise<StartedAgent> {
  const agent = cluster.spawnInPodNetns(
    pod,
    [
      mirrordBinary(),
      "agent",
      "--communicate-port",
      String(port),
      "--communication-timeout",
      "60",
      "targeted",
      "--pid",
      String(pod.appPid),
    ],
    { env },
  );
  await agent.waitForStdout(/agent ready/, "agent start", 20_000);
  const forward = await cluster.forward(pod, port);
  return { process: agent, address: `${forward.host}:${forward.port}` };
}

/** Runs a command in `pod`'s network namespace only (the host's tools), like the agent sees it. */
export async function inPodNetns(pod: Pod, argv: string[]): Promise<string> {
  const child = Bun.spawn(["nsenter", `--net=${pod.netnsPath}`, "--", ...argv], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`${argv.join(" ")} in ${pod.name}'s netns failed: ${stderr}`);
  return stdout;
}

/** A cluster with an HTTP echo pod `api` on `port`, a client `c1` and a scratch dir, for one test file. */
export interface StealCluster {
  cluster: Cluster;
  pod: Pod;
  client: Pod;
  scratch: string;
}

/** The sample HTTP echo app listening on `[::]` for both families (the sample listens on IPv4 only). */
function dualStackHttpEcho(port: number): string[] {
  const script = [
    "import socket, sys",
    `sys.path.insert(0, "${APPS_MOUNT}")`,
    "from http_echo import EchoHandler",
    "from http.server import ThreadingHTTPServer",
    "class DualStack(ThreadingHTTPServer):",
    "    address_family = socket.AF_INET6",
    "    allow_reuse_address = True",
    "    request_queue_size = 128",
    "    def server_bind(self):",
    "        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)",
    "        super().server_bind()",
    `DualStack(("::", ${port}), EchoHandler).serve_forever()`,
  ].join("\n");
  return ["python3", "-c", script];
}

/**
 * Registers the file's beforeAll/afterAll that build and remove a `StealCluster` named `name`; its fields
 * are set once beforeAll has run. Nothing is built when `unavailable` gives a reason. `dualStack`: the
 * pod's app answers on its IPv6 address too.
 */
export function stealCluster(
  name: string,
  port: number,
  unavailable: string | undefined,
  { dualStack = false } = {},
): StealCluster {
  const fixture = {} as StealCluster;
  beforeAll(async () => {
    if (unavailable) return;
    fixture.scratch = mkdtempSync(join(tmpdir(), `mirrord-${name}-`));
    fixture.cluster = await Cluster.create({ name });
    fixture.pod = await fixture.cluster.addPod({
      name: "api",
      env: { APP_MODE: "cluster" },
      app: dualStack ? dualStackHttpEcho(port) : sampleApps.httpEcho(port),
      ports: [port],
    });
    fixture.client = await fixture.cluster.addClient("c1");
  }, 60_000);
  afterAll(async () => {
    await fixture.cluster?.destroy();
    if (fixture.scratch) rmSync(fixture.scratch, { recursive: true, force: true });
  });
  return fixture;
}

/** Sends `text` over raw TCP from `client` to host:port (either family), finishes writing, returns all read back. */
export async function rawExchange(client: Pod, host: string, port: number, text: string): Promise<string> {
  const script = [
    "import socket,sys",
    `s=socket.create_connection(("${host}",${port}),timeout=10)`,
    `s.sendall(b"${text}")`,
    "s.shutdown(socket.SHUT_WR)",
    "out=b''",
    "while True:",
    " c=s.recv(65536)",
    " if not c: break",
    " out+=c",
    "sys.stdout.write(out.decode())",
  ].join("\n");
  const result = await client.exec(["python3", "-c", script]);
  if (result.code !== 0) throw new Error(`raw TCP to ${host} port ${port} failed: ${result.stderr}`);
  return result.stdout;
}
