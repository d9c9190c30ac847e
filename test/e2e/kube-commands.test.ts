/**
 * The Kubernetes commands besides `exec`, run as the built binary against the API stand-in over the
 * cluster simulator: `mirrord ls`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_AGENT_IMAGE } from "../../src/config/agent.ts";
import { type KubeApi, type KubeObject, kubeconfigText, startKubeApi } from "../kube-api/index.ts";
import { Cluster, simulatorUnavailableReason } from "../simulator/index.ts";
import { mirrordBinary, type RunResult, run } from "../support/binary.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING kube command tests: ${unavailable}`);

let cluster: Cluster;
let kube: KubeApi;
let dir: string;

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
