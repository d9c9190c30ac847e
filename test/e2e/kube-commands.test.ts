/**
 * The Kubernetes commands besides `exec`, run as the built binary against the API stand-in over the
 * cluster simulator: `mirrord ls`, `mirrord diagnose latency`, `mirrord port-forward -L` (and its
 * re-dial when the port-forward stream drops).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_AGENT_IMAGE } from "../../src/config/agent.ts";
import { type KubeApi, type KubeObject, kubeconfigText, startKubeApi } from "../kube-api/index.ts";
import {
  Cluster,
  type Pod,
  type Service,
  sampleApps,
  simulatorUnavailableReason,
} from "../simulator/index.ts";
import { mirrordBinary, type RunResult, run } from "../support/binary.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING kube command tests: ${unavailable}`);

let cluster: Cluster;
let kube: KubeApi;
let dir: string;
let orders: Service;
let apiPod: Pod;
let client: Pod;
const TARGET = "pod/api-7d9f-x2k";

const NS = "shop";

function object(
  apiVersion: string,
  kind: string,
  name: string,
  rest: { metadata?: Record<string, unknown>; [field: string]: unknown } = {},
): KubeObject {
  const { metadata, ...body } = rest;
  return { apiVersion, kind, metadata: { name, namespace: NS, ...metadata }, ...body };
}

const template = {
  metadata: { labels: { app: "x" } },
  spec: { containers: [{ name: "app", image: "app:latest" }] },
};
const workloadSpec = { selector: { matchLabels: { app: "x" } }, template };

function pod(name: string, containers: string[], phase: string, ready: boolean, labels = {}): KubeObject {
  return object("v1", "Pod", name, {
    metadata: { labels },
    spec: { containers: containers.map((c) => ({ name: c, image: "app:latest" })) },
    status: { phase, conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
  });
}

/** Every kind in namespace `shop`, plus objects `ls` must leave out. */
function applyShop(): void {
  kube.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
  kube.apply({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "operator-owned", labels: { "operator.metalbear.co/owner": "x" } },
  });
  kube.apply(
    object("apps/v1", "Deployment", "api", { spec: workloadSpec, status: { availableReplicas: 1 } }),
  );
  kube.apply(
    object("apps/v1", "Deployment", "idle", { spec: workloadSpec, status: { availableReplicas: 0 } }),
  );
  kube.apply(object("argoproj.io/v1alpha1", "Rollout", "canary", { spec: workloadSpec }));
  kube.apply(object("apps/v1", "StatefulSet", "db", { spec: { ...workloadSpec, serviceName: "db" } }));
  kube.apply(object("batch/v1", "CronJob", "nightly", { spec: { schedule: "@daily", jobTemplate: {} } }));
  kube.apply(
    object("batch/v1", "Job", "migrate", {
      spec: { template: { ...template, spec: { ...template.spec, restartPolicy: "Never" } } },
    }),
  );
  kube.apply(object("apps/v1", "ReplicaSet", "api-7d9f", { spec: workloadSpec }));
  kube.apply(object("v1", "Service", "api", { spec: { selector: { app: "x" } } }));
  kube.apply(pod("api-7d9f-x2k", ["app"], "Running", true));
  kube.apply(pod("web-1", ["main", "istio-proxy", "c"], "Running", true));
  kube.apply(pod("starting-1", ["app"], "Pending", false));
  kube.apply(pod("warming-1", ["app"], "Running", false));
  kube.apply(pod("mirrord-agent-abc", ["mirrord-agent"], "Running", true, { app: "mirrord" }));
}

const SHOP_TARGETS = [
  "deployment/api",
  "rollout/canary",
  "statefulset/db",
  "cronjob/nightly",
  "job/migrate",
  "service/api",
  "replicaset/api-7d9f",
  "pod/api-7d9f-x2k",
  "pod/web-1/container/main",
  "pod/web-1/container/c",
];

beforeAll(async () => {
  if (unavailable) return;
  dir = mkdtempSync(join(tmpdir(), "mirrord-kube-commands-"));
  cluster = await Cluster.create({ name: "kubecmd" });
  kube = await startKubeApi({ cluster, mirrord: mirrordBinary(), images: [DEFAULT_AGENT_IMAGE] });
  applyShop();
  const api = await cluster.addPod({
    name: "api",
    hostname: "api-7d9f-x2k",
    app: sampleApps.httpEcho(8080),
    ports: [8080],
  });
  kube.addPod(api, { name: "api-7d9f-x2k", labels: { app: "api" }, containers: [{ name: "app" }] });
  apiPod = api;
  await cluster.addService({ name: "echo", port: 7000, app: sampleApps.tcpEcho(7000) });
  client = await cluster.addClient("c1");
  // Reachable from pods only: the laptop gets nowhere near 10.244.0.0/16.
  orders = await cluster.addService({
    name: "orders",
    port: 8080,
    app: sampleApps.httpEcho(8080),
    env: { APP_MODE: "orders" },
  });
}, 60_000);

afterAll(async () => {
  await kube?.stop();
  await cluster?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function mirrord(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return run([mirrordBinary(), ...args], {
    env: { ...(process.env as Record<string, string>), KUBECONFIG: kube.kubeconfigPath, ...env },
    timeoutMs: 30_000,
  });
}

/** stderr of a failed `ls`: one JSON object, as IDEs parse it. */
function jsonError(result: RunResult): { message: string; severity: string; help?: string } {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe("");
  return JSON.parse(result.stderr);
}

describe.skipIf(unavailable !== undefined)("mirrord ls", () => {
  test("lists every target of the namespace as one line of JSON, agents and unready pods left out", async () => {
    const result = await mirrord(["ls", "-n", NS]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${JSON.stringify(SHOP_TARGETS)}\n`);
  });

  test("-t (repeatable) and MIRRORD_LS_TARGET_TYPES keep only those kinds", async () => {
    const byFlag = await mirrord(["ls", "-n", NS, "-t", "pod", "-t", "deployment"]);
    expect(JSON.parse(byFlag.stdout)).toEqual([
      "deployment/api",
      "pod/api-7d9f-x2k",
      "pod/web-1/container/main",
      "pod/web-1/container/c",
    ]);
    const byEnv = await mirrord(["ls", "-n", NS], { MIRRORD_LS_TARGET_TYPES: '["service","rollout"]' });
    expect(JSON.parse(byEnv.stdout)).toEqual(["rollout/canary", "service/api"]);
  });

  test("the namespace comes from -n, else the config's target.namespace, else the kube context", async () => {
    const config = join(dir, "ls-config.json");
    writeFileSync(config, JSON.stringify({ target: { namespace: NS } }));
    const fromConfig = await mirrord(["ls", "-f", config, "-t", "service"]);
    expect(JSON.parse(fromConfig.stdout)).toEqual(["service/api"]);
    const fromContext = await mirrord(["ls", "-t", "service"]);
    expect(fromContext.stderr).toBe("");
    expect(JSON.parse(fromContext.stdout)).toEqual([]);
  });

  test("MIRRORD_LS_RICH_OUTPUT=true adds availability, the namespace and the cluster's namespaces", async () => {
    const result = await mirrord(["ls", "-n", NS, "-t", "deployment", "-t", "service"], {
      MIRRORD_LS_RICH_OUTPUT: "true",
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      targets: [
        { path: "deployment/api", available: true },
        { path: "service/api", available: true },
      ],
      current_namespace: NS,
      namespaces: ["default", NS],
    });
  });

  test("follows continue tokens when the server pages its lists", async () => {
    kube.server.maxPageSize = 1;
    try {
      const result = await mirrord(["ls", "-n", NS]);
      expect(result.stdout).toBe(`${JSON.stringify(SHOP_TARGETS)}\n`);
      expect(kube.server.requests).toContainEqual(expect.stringMatching(/pods\?.*continue=/));
    } finally {
      kube.server.maxPageSize = undefined;
    }
  });

  test("failures are one JSON object on stderr with exit 1", async () => {
    const targetless = jsonError(await mirrord(["ls", "-t", "targetless"]));
    expect(targetless).toMatchObject({ severity: "error" });
    expect(targetless.message).toContain("invalid target type `targetless`");

    kube.server.deny("list", "pods");
    try {
      const forbidden = jsonError(await mirrord(["ls", "-n", NS]));
      expect(forbidden.message).toContain(
        "listing pod targets in namespace `shop`: forbidden by the cluster's RBAC",
      );
      expect(forbidden.help).toContain("ask a cluster admin");
    } finally {
      kube.server.allowAll();
    }

    const unreachable = join(dir, "unreachable-kubeconfig");
    writeFileSync(
      unreachable,
      kubeconfigText({ url: "https://127.0.0.1:1", caPem: kube.caPem, token: kube.token }),
    );
    const down = jsonError(await mirrord(["ls", "-n", NS], { KUBECONFIG: unreachable }));
    expect(down.message).toContain("the Kubernetes API server at https://127.0.0.1:1 is unreachable");

    const label = jsonError(await mirrord(["ls", "-t", "label"]));
    expect(label.message).toContain("target type `label` requires the mirrord operator");

    const badEnv = jsonError(await mirrord(["ls"], { MIRRORD_LS_TARGET_TYPES: "pods" }));
    expect(badEnv.message).toContain("MIRRORD_LS_TARGET_TYPES must be a JSON array of target types");
  });

  test("an unknown -t value is a usage error (exit 2) naming the accepted kinds", async () => {
    const result = await mirrord(["ls", "-t", "pods"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("invalid value `pods` for `--target-type`");
    expect(result.stderr).toContain("targetless, pod, deployment");
  });
});

/** Session settings: agents leave soon after their last client. */
function sessionConfig(extra: object = {}): string {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ agent: { communication_timeout: 5, startup_timeout: 30 }, ...extra }));
  return file;
}

async function expectNoAgentLeft(): Promise<void> {
  const agentPods = () => kube.list("pods", "default").filter((p) => p.metadata.labels?.app === "mirrord");
  for (let i = 0; i < 100 && (kube.list("jobs", "default").length > 0 || agentPods().length > 0); i++)
    await Bun.sleep(100);
  expect(kube.list("jobs", "default")).toEqual([]);
  expect(agentPods()).toEqual([]);
}

describe.skipIf(unavailable !== undefined)("mirrord diagnose latency", () => {
  test("pings the agent it created 100 times and prints min, max and average", async () => {
    const result = await mirrord(["diagnose", "latency", "-f", sessionConfig({ target: TARGET })]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const stats = /^Latency statistics: min=([\d.]+)ms, max=([\d.]+)ms, avg=([\d.]+)ms\n$/.exec(
      result.stdout,
    );
    expect(stats).not.toBeNull();
    const [min, max, avg] = (stats as RegExpExecArray).slice(1).map(Number) as [number, number, number];
    expect(min).toBeGreaterThan(0);
    expect(min).toBeLessThanOrEqual(avg);
    expect(avg).toBeLessThanOrEqual(max);
    await expectNoAgentLeft();
  }, 60_000);
});

/** `count` distinct free loopback ports: every probe listener stays open until all are chosen. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen({ host: "127.0.0.1", port: 0 }, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port as number;
}

/** A running `mirrord port-forward`, its output so far, and a way to wait for a line of it. */
function startPortForward(args: string[]) {
  const child = Bun.spawn([mirrordBinary(), "port-forward", ...args], {
    env: {
      ...(process.env as Record<string, string>),
      KUBECONFIG: kube.kubeconfigPath,
      MIRRORD_PROGRESS_MODE: "std",
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const output = { stdout: "", stderr: "" };
  const collect = async (stream: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) output[key] += decoder.decode(chunk, { stream: true });
  };
  const collected = Promise.all([collect(child.stdout, "stdout"), collect(child.stderr, "stderr")]);
  const waitFor = async (key: "stdout" | "stderr", text: string) => {
    for (let i = 0; i < 600 && !output[key].includes(text) && child.exitCode === null; i++)
      await Bun.sleep(50);
    if (child.exitCode !== null) await collected;
    if (!output[key].includes(text))
      throw new Error(
        `no "${text}" from port-forward (exit ${child.exitCode}): ${output.stdout} ${output.stderr}`,
      );
  };
  const stop = async () => {
    child.kill("SIGINT");
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const code = await child.exited;
    clearTimeout(timer);
    await collected;
    return code;
  };
  return { child, output, waitFor, stop };
}

async function curlJson(port: number): Promise<Record<string, unknown>> {
  const result = await run(["curl", "-sS", "--max-time", "10", `http://127.0.0.1:${port}/hello`], {
    timeoutMs: 15_000,
  });
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  return JSON.parse(result.stdout);
}

describe.skipIf(unavailable !== undefined)("mirrord port-forward", () => {
  test("-L by name and by IP reaches a service only the pod can reach; Ctrl-C removes the agent", async () => {
    const direct = await run(["curl", "-sS", "--max-time", "3", `http://${orders.ip}:8080/`]);
    expect(direct.code).not.toBe(0);
    const [byName, byIp, closed] = (await freePorts(3)) as [number, number, number];
    const forward = startPortForward([
      "-f",
      sessionConfig(),
      "-t",
      TARGET,
      "-L",
      `${byName}:orders:8080`,
      "-L",
      `${byIp}:${orders.ip}:8080`,
      "-L",
      `${closed}:orders:9`,
    ]);
    try {
      await forward.waitFor("stdout", "Ready!");
      expect(forward.output.stderr).toContain("Port forwarding is currently an unstable feature");
      expect(await curlJson(byName)).toMatchObject({ hostname: "orders", mode: "orders", path: "/hello" });
      expect(await curlJson(byIp)).toMatchObject({ hostname: "orders", path: "/hello" });
      expect(kube.list("jobs", "default")).toHaveLength(1);
      // Nothing listens on the service's port 9: the local connection is closed and the cause shown.
      const refused = await run(["curl", "-sS", "--max-time", "10", `http://127.0.0.1:${closed}/`]);
      expect(refused.code).not.toBe(0);
      await forward.waitFor("stderr", `127.0.0.1:${closed} → orders:9: connect to ${orders.ip}:9 failed`);
      expect(await curlJson(byName)).toMatchObject({ hostname: "orders" });
    } finally {
      // The output is in the comparison so that a failure shows what port-forward said.
      expect({ code: await forward.stop(), stderr: forward.output.stderr }).toMatchObject({ code: 0 });
    }
    await expectNoAgentLeft();
  }, 90_000);

  test("-L carries 16 MiB each way through an echo service byte for byte", async () => {
    const port = await freePort();
    const forward = startPortForward(["-f", sessionConfig(), "-t", TARGET, "-L", `${port}:echo:7000`]);
    try {
      await forward.waitFor("stdout", "Ready!");
      const sent = new Uint8Array(16 << 20).map((_, i) => (i * 7919) % 251);
      const received = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let length = 0;
        const socket = connect({ host: "127.0.0.1", port }, () => socket.end(sent));
        const timer = setTimeout(
          () => socket.destroy(new Error(`only ${length} bytes back in 60 s`)),
          60_000,
        );
        socket.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          length += chunk.length;
        });
        socket.on("error", reject);
        socket.on("close", () => {
          clearTimeout(timer);
          resolve(Buffer.concat(chunks));
        });
      });
      const digest = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
      expect(received.length).toBe(sent.length);
      expect(digest(received)).toBe(digest(sent));
    } finally {
      expect({ code: await forward.stop(), stderr: forward.output.stderr }).toMatchObject({ code: 0 });
    }
    await expectNoAgentLeft();
  }, 120_000);

  test("a dropped port-forward stream is re-dialled to the same agent and forwarding goes on", async () => {
    const port = await freePort();
    const jobsCreated = () =>
      kube.server.requests.filter((r) => r.startsWith("POST") && r.includes("/jobs")).length;
    const forward = startPortForward(["-f", sessionConfig(), "-t", TARGET, "-L", `${port}:orders:8080`]);
    try {
      await forward.waitFor("stdout", "Ready!");
      expect(await curlJson(port)).toMatchObject({ hostname: "orders" });
      const created = jobsCreated();
      expect(kube.server.dropPortForwards()).toBeGreaterThan(0);
      await forward.waitFor("stderr", "reconnected to the agent");
      expect(forward.output.stderr).toContain("the connection to the agent dropped");
      expect(await curlJson(port)).toMatchObject({ hostname: "orders", path: "/hello" });
      expect(jobsCreated()).toBe(created);
    } finally {
      // The output is in the comparison so that a failure shows what port-forward said.
      expect({ code: await forward.stop(), stderr: forward.output.stderr }).toMatchObject({ code: 0 });
    }
    await expectNoAgentLeft();
  }, 90_000);

  test("when the agent goes away, port-forward exits 1 saying it could not reconnect", async () => {
    const port = await freePort();
    const forward = startPortForward(["-f", sessionConfig(), "-t", TARGET, "-L", `${port}:orders:8080`]);
    try {
      await forward.waitFor("stdout", "Ready!");
      const [job] = kube.list("jobs", "default");
      kube.remove("jobs", job?.metadata.name as string);
      for (const agent of kube.list("pods", "default").filter((p) => p.metadata.labels?.app === "mirrord"))
        kube.remove("pods", agent.metadata.name);
      const timer = setTimeout(() => forward.child.kill("SIGKILL"), 30_000);
      const code = await forward.child.exited;
      clearTimeout(timer);
      await forward.waitFor("stderr", "could not reconnect");
      expect({ code, stderr: forward.output.stderr }).toMatchObject({ code: 1 });
      expect(forward.output.stderr).toMatch(
        /error: lost the connection to the agent and could not reconnect: port-forward to default\/mirrord-agent-\S+: the agent pod no longer exists/,
      );
    } finally {
      await forward.stop();
    }
    await expectNoAgentLeft();
  }, 90_000);

  test("-R with steal: the pod's port answers from the laptop until port-forward stops", async () => {
    const local = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) => new Response(`from the laptop: ${new URL(request.url).pathname}`),
    });
    const podUrl = `http://${apiPod.ip}:8080/orders`;
    const forward = startPortForward([
      "-f",
      sessionConfig({ feature: { network: { incoming: "steal" } } }),
      "-t",
      TARGET,
      "-R",
      `8080:${local.port}`,
    ]);
    try {
      await forward.waitFor("stdout", "Ready!");
      const stolen = await client.exec(["curl", "-sS", "--max-time", "10", podUrl]);
      expect(stolen).toMatchObject({ code: 0, stdout: "from the laptop: /orders" });
    } finally {
      expect({ code: await forward.stop(), stderr: forward.output.stderr }).toMatchObject({ code: 0 });
      local.stop(true);
    }
    await expectNoAgentLeft();
    // The agent undoes its redirect as it leaves (it gets SIGTERM when its pod is deleted).
    let own = "";
    for (let i = 0; i < 50 && !own.startsWith("{"); i++) {
      if (i > 0) await Bun.sleep(200);
      own = (await client.exec(["curl", "-sS", "--max-time", "5", podUrl])).stdout;
    }
    expect(JSON.parse(own)).toMatchObject({ hostname: "api-7d9f-x2k", path: "/orders" });
  }, 90_000);

  test("-R with mirror: the laptop gets a copy while the pod still answers", async () => {
    const seen: string[] = [];
    const local = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) => {
        seen.push(`${request.method} ${new URL(request.url).pathname}`);
        return new Response("ignored: mirror replies are dropped");
      },
    });
    const forward = startPortForward(["-f", sessionConfig(), "-t", TARGET, "-R", `8080:${local.port}`]);
    try {
      await forward.waitFor("stdout", "Ready!");
      const reply = await client.exec(["curl", "-sS", "--max-time", "10", `http://${apiPod.ip}:8080/copied`]);
      expect(JSON.parse(reply.stdout)).toMatchObject({ hostname: "api-7d9f-x2k", path: "/copied" });
      for (let i = 0; i < 100 && seen.length === 0; i++) await Bun.sleep(50);
      expect(seen).toEqual(["GET /copied"]);
    } finally {
      expect({ code: await forward.stop(), stderr: forward.output.stderr }).toMatchObject({ code: 0 });
      local.stop(true);
    }
    await expectNoAgentLeft();
  }, 90_000);

  test("bad mappings are usage errors; -R settings it cannot honour stop it before any agent", async () => {
    const zero = await mirrord(["port-forward", "-L", "0:db:5432"]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain("Port `0` is not allowed in argument `0:db:5432`");
    const format = await mirrord(["port-forward", "-L", "db"]);
    expect(format.stderr).toContain(
      "Invalid format of argument `db`, expected `[local-port:]remote-ipv4-or-hostname:remote-port`",
    );
    const twice = await mirrord(["port-forward", "-L", "5432:a:1", "-L", "5432:b:2"]);
    expect(twice.stderr).toContain("Local port `5432` is used by more than one -L mapping");
    const filtered = sessionConfig({
      feature: { network: { incoming: { mode: "steal", http_filter: { header_filter: "x-user: me" } } } },
    });
    const withFilter = await mirrord(["port-forward", "-f", filtered, "-t", TARGET, "-R", "8080"]);
    expect(withFilter.code).toBe(1);
    expect(withFilter.stderr).toContain("-R does not apply `feature.network.incoming.http_filter` yet");
    const off = sessionConfig({ feature: { network: { incoming: "off" } } });
    const withOff = await mirrord(["port-forward", "-f", off, "-t", TARGET, "-R", "8080"]);
    expect(withOff.stderr).toContain("-R needs incoming traffic, but `feature.network.incoming` is off");
    expect(kube.list("jobs", "default")).toEqual([]);
    const reverse = await mirrord(["port-forward", "-R", "1:2:3"]);
    expect(reverse.code).toBe(2);
    expect(reverse.stderr).toContain(
      "Invalid format of argument `1:2:3`, expected `[remote-port:]local-port`",
    );
  });
});
