/**
 * `mirrord exec` against a Kubernetes API (the stand-in in test/kube-api over the cluster simulator):
 * target resolution, agent Job / ephemeral container creation, readiness, port-forward, cleanup, failures.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_AGENT_IMAGE } from "../../src/config/agent.ts";
import { type KubeApi, startKubeApi } from "../kube-api/index.ts";
import { Cluster, type Pod, sampleApps, simulatorUnavailableReason } from "../simulator/index.ts";
import { mirrordBinary, type RunResult, run } from "../support/binary.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING kube end-to-end tests: ${unavailable}`);
const POD_HOSTNAME = "api-7d9f-x2k";
const PROGRAMS = join(import.meta.dir, "programs");

let cluster: Cluster;
let kube: KubeApi;
let pod: Pod;
let bin: string;

beforeAll(async () => {
  if (unavailable) return;
  bin = mkdtempSync(join(tmpdir(), "mirrord-kube-test-"));
  const built = await run(["gcc", "-O1", "-o", join(bin, "identity"), join(PROGRAMS, "identity.c")]);
  if (built.code !== 0) throw new Error(`gcc identity.c failed: ${built.stderr}`);
  cluster = await Cluster.create({ name: "kube" });
  kube = await startKubeApi({ cluster, mirrord: mirrordBinary(), images: [DEFAULT_AGENT_IMAGE] });
  pod = await cluster.addPod({
    name: "api",
    hostname: POD_HOSTNAME,
    env: { APP_MODE: "cluster" },
    app: sampleApps.httpEcho(8080),
    ports: [8080],
  });
  kube.addPod(pod, { name: "api-7d9f-x2k", labels: { app: "api" }, containers: [{ name: "app" }] });
}, 60_000);

afterAll(async () => {
  await kube?.stop();
  await cluster?.destroy();
  if (bin) rmSync(bin, { recursive: true, force: true });
});

function fields(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

async function mirrordExec(args: string[], config: object = {}): Promise<RunResult> {
  const file = join(bin, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    file,
    JSON.stringify({ agent: { communication_timeout: 2, startup_timeout: 30 }, ...config }),
  );
  return run([mirrordBinary(), "exec", "-f", file, ...args], {
    env: {
      ...(process.env as Record<string, string>),
      KUBECONFIG: kube.kubeconfigPath,
      MIRRORD_PROGRESS_MODE: "off",
    },
    timeoutMs: 60_000,
  });
}

describe.skipIf(unavailable !== undefined)("mirrord exec through Kubernetes", () => {
  test("exec -t pod/x runs the program with the pod's env and hostname", async () => {
    const result = await mirrordExec(["-t", "pod/api-7d9f-x2k", "--", join(bin, "identity"), "APP_MODE"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(fields(result.stdout)).toMatchObject({ hostname: POD_HOSTNAME, APP_MODE: "cluster" });
    const [job] = kube.list("jobs");
    expect(job?.spec.template.spec.containers[0].args.slice(4, 7)).toEqual([
      "targeted",
      "--container-id",
      expect.any(String),
    ]);
    // The agent leaves 2 s after its last client, then the Job's TTL (1 s) removes Job and pod.
    for (let i = 0; i < 100 && (kube.list("jobs").length > 0 || kube.list("pods").length > 1); i++)
      await Bun.sleep(100);
    expect(kube.list("jobs")).toEqual([]);
    expect(kube.list("pods").map((p) => p.metadata.name)).toEqual(["api-7d9f-x2k"]);
  }, 60_000);

  test("a missing target fails at once with one clear cause and exit 1", async () => {
    const result = await mirrordExec(["-t", "pod/nope", "--", "true"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("target pod/nope was not found in namespace `default`");
    expect(kube.list("jobs")).toEqual([]);
  }, 30_000);

  test("an agent image that cannot be pulled fails with the pull error and leaves no Job", async () => {
    const result = await mirrordExec(["-t", "pod/api-7d9f-x2k", "--", "true"], {
      agent: { image: "example.invalid/nope:1", startup_timeout: 20 },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the agent image could not be pulled (ErrImagePull)");
    for (let i = 0; i < 50 && kube.list("jobs").length > 0; i++) await Bun.sleep(100);
    expect(kube.list("jobs")).toEqual([]);
  }, 30_000);
});
