/**
 * `mirrord exec` against a Kubernetes API (the stand-in in test/kube-api over the cluster simulator):
 * target resolution, agent Job / ephemeral container creation, readiness, port-forward, cleanup, failures.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_AGENT_IMAGE } from "../../src/config/agent.ts";
import { loadKubeConfig } from "../../src/kube/kubeconfig.ts";
import { startAgentRelay } from "../../src/kube/port-forward.ts";
import { ProtocolClient } from "../../src/transport/client.ts";
import { type KubeApi, kubeconfigText, startKubeApi } from "../kube-api/index.ts";
import { Cluster, type Pod, sampleApps, simulatorUnavailableReason } from "../simulator/index.ts";
import { mirrordBinary, type RunResult, run } from "../support/binary.ts";
import { compileProgram, keyValueLines } from "../support/programs.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING kube end-to-end tests: ${unavailable}`);
const POD_HOSTNAME = "api-7d9f-x2k";

let cluster: Cluster;
let kube: KubeApi;
let pod: Pod;
let bin: string;
const WEB_HOSTNAME = "web-5c8d-q7z";
const DB_HOSTNAME = "db-0";

beforeAll(async () => {
  if (unavailable) return;
  bin = mkdtempSync(join(tmpdir(), "mirrord-kube-test-"));
  await compileProgram("identity", bin);
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
  const [web, db] = await Promise.all([
    cluster.addPod({
      name: "web",
      hostname: WEB_HOSTNAME,
      env: { APP_MODE: "web" },
      app: sampleApps.httpEcho(8080),
      ports: [8080],
    }),
    cluster.addPod({
      name: "db",
      hostname: DB_HOSTNAME,
      env: { APP_MODE: "db" },
      app: sampleApps.httpEcho(8080),
      ports: [8080],
    }),
  ]);
  // A deployment whose pod has two containers; the simulated app is container `c`.
  kube.apply(workload("apps/v1", "Deployment", "web", { app: "web" }));
  kube.addPod(web as Pod, {
    name: WEB_HOSTNAME,
    labels: { app: "web" },
    containers: [{ name: "main", env: { APP_MODE: "main" } }, { name: "c" }],
    appContainer: "c",
  });
  kube.apply(workload("apps/v1", "StatefulSet", "db", { app: "db" }));
  kube.addPod(db as Pod, { name: DB_HOSTNAME, labels: { app: "db" }, containers: [{ name: "postgres" }] });
}, 60_000);

function workload(apiVersion: string, kind: string, name: string, matchLabels: Record<string, string>) {
  return {
    apiVersion,
    kind,
    metadata: { name, namespace: "default" },
    spec: {
      selector: { matchLabels },
      template: {
        metadata: { labels: matchLabels },
        spec: { containers: [{ name: "app", image: "app:latest" }] },
      },
    },
  };
}

afterAll(async () => {
  await kube?.stop();
  await cluster?.destroy();
  if (bin) rmSync(bin, { recursive: true, force: true });
});

/** A config file with short agent timeouts (so agents leave soon after a run), plus `config`. */
function configFile(config: object = {}): string {
  const file = join(bin, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    file,
    JSON.stringify({ agent: { communication_timeout: 2, startup_timeout: 30 }, ...config }),
  );
  return file;
}

function kubeEnv(kubeconfig = kube.kubeconfigPath): Record<string, string> {
  return { ...(process.env as Record<string, string>), KUBECONFIG: kubeconfig, MIRRORD_PROGRESS_MODE: "off" };
}

async function mirrordExec(
  args: string[],
  config: object = {},
  kubeconfig = kube.kubeconfigPath,
): Promise<RunResult> {
  return run([mirrordBinary(), "exec", "-f", configFile(config), ...args], {
    env: kubeEnv(kubeconfig),
    timeoutMs: 60_000,
  });
}

/** Agent Jobs and their pods are gone (the agent leaves after its last client, then the Job's TTL). */
async function expectNoAgentLeft(): Promise<void> {
  const agentPods = () => kube.list("pods").filter((p) => p.metadata.labels?.app === "mirrord");
  for (let i = 0; i < 100 && (kube.list("jobs").length > 0 || agentPods().length > 0); i++)
    await Bun.sleep(100);
  expect(kube.list("jobs")).toEqual([]);
  expect(agentPods()).toEqual([]);
}

describe.skipIf(unavailable !== undefined)("mirrord exec through Kubernetes", () => {
  test("exec -t pod/x runs the program with the pod's env and hostname", async () => {
    const result = await mirrordExec(["-t", "pod/api-7d9f-x2k", "--", join(bin, "identity"), "APP_MODE"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(keyValueLines(result.stdout)).toMatchObject({ hostname: POD_HOSTNAME, APP_MODE: "cluster" });
    const [job] = kube.list("jobs");
    expect(job?.spec.template.spec.containers[0].args.slice(4, 7)).toEqual([
      "targeted",
      "--container-id",
      expect.any(String),
    ]);
    await expectNoAgentLeft();
  }, 60_000);

  test("the agent Job the API server receives carries every agent.* setting (agent-kube.md §2.4)", async () => {
    const before = kube.server.received.length;
    const result = await mirrordExec(["-t", "pod/api-7d9f-x2k", "--", join(bin, "identity")], {
      agent: {
        communication_timeout: 2,
        startup_timeout: 30,
        ttl: 2,
        log_level: "info,mirrord=debug",
        json_log: true,
        image_pull_policy: "Never",
        image_pull_secrets: [{ name: "regcred" }],
        labels: { team: "core" },
        annotations: { owner: "me" },
        tolerations: [{ key: "dedicated", operator: "Equal", value: "dev", effect: "NoSchedule" }],
        resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "2", memory: "256Mi" } },
        node_selector: { "kubernetes.io/os": "linux" },
        service_account: "mirrord-agent",
        priority_class: "mirrord-high",
        privileged: true,
        disabled_capabilities: ["SYS_PTRACE"],
        security_context: { seccomp_profile: { type: "RuntimeDefault" } },
        nftables: false,
        flush_connections: false,
      },
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const sent = kube.server.received.slice(before).filter((r) => r.path.includes("/jobs"));
    const containerId = kube
      .get("pods", "api-7d9f-x2k")
      ?.status.containerStatuses[0].containerID.replace("containerd://", "");
    const labels = { team: "core", app: "mirrord", "kuma.io/sidecar-injection": "disabled" };
    const annotations = { owner: "me", "sidecar.istio.io/inject": "false", "linkerd.io/inject": "disabled" };
    const name = expect.stringMatching(/^mirrord-agent-[a-z0-9]{10}$/);
    expect(sent[0]).toEqual({
      method: "POST",
      path: "/apis/batch/v1/namespaces/default/jobs",
      body: {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name, labels, annotations },
        spec: {
          ttlSecondsAfterFinished: 2,
          backoffLimit: 0,
          activeDeadlineSeconds: 60,
          template: {
            metadata: { labels, annotations },
            spec: {
              restartPolicy: "Never",
              imagePullSecrets: [{ name: "regcred" }],
              tolerations: [{ key: "dedicated", operator: "Equal", value: "dev", effect: "NoSchedule" }],
              nodeSelector: { "kubernetes.io/os": "linux", "kubernetes.io/hostname": "sim-node" },
              serviceAccountName: "mirrord-agent",
              securityContext: { seccompProfile: { type: "RuntimeDefault" } },
              priorityClassName: "mirrord-high",
              hostPID: true,
              volumes: [
                { name: "hostrun", hostPath: { path: "/run" } },
                { name: "hostvar", hostPath: { path: "/var" } },
              ],
              containers: [
                {
                  name: "mirrord-agent",
                  image: DEFAULT_AGENT_IMAGE,
                  imagePullPolicy: "Never",
                  command: ["mirrord", "agent"],
                  args: [
                    "-l",
                    expect.stringMatching(/^\d+$/),
                    "-t",
                    "2",
                    "targeted",
                    "--container-id",
                    containerId,
                    "--container-runtime",
                    "containerd",
                  ],
                  env: [
                    { name: "MIRRORD_AGENT_SECRET", value: expect.stringMatching(/^[0-9a-f]{64}$/) },
                    { name: "RUST_LOG", value: "info,mirrord=debug" },
                    { name: "MIRRORD_AGENT_STEALER_FLUSH_CONNECTIONS", value: "false" },
                    { name: "MIRRORD_AGENT_JSON_LOG", value: "true" },
                    { name: "MIRRORD_AGENT_PASSTHROUGH_MIRRORING", value: "true" },
                    { name: "MIRRORD_MAX_BODY_BUFFER_SIZE", value: "65535" },
                    { name: "MIRRORD_MAX_BODY_BUFFER_TIMEOUT", value: "1000" },
                    { name: "MIRRORD_AGENT_HTTP_DETECTION_TIMEOUT", value: "2" },
                    { name: "MIRRORD_JAQ_TIME_LIMIT", value: "1" },
                    { name: "MIRRORD_AGENT_EXTERNAL_IP_FIX", value: "true" },
                    { name: "MIRRORD_AGENT_OVERRIDE_CACHE_CONTROL", value: "true" },
                    { name: "MIRRORD_AGENT_NFTABLES", value: "false" },
                    { name: "MIRRORD_AGENT_POD_IPS", value: pod.ip },
                  ],
                  resources: {
                    requests: { cpu: "10m", memory: "16Mi" },
                    limits: { cpu: "2", memory: "256Mi" },
                  },
                  securityContext: {
                    runAsGroup: expect.any(Number),
                    privileged: true,
                    capabilities: { add: ["SYS_ADMIN", "NET_ADMIN"] },
                  },
                  volumeMounts: [
                    { name: "hostrun", mountPath: "/host/run" },
                    { name: "hostvar", mountPath: "/host/var" },
                  ],
                },
              ],
            },
          },
        },
      },
    });
    // Once the agent is ready the startup deadline is lifted, so a long session outlives it.
    expect(sent[1]).toMatchObject({ method: "PATCH", body: { spec: { activeDeadlineSeconds: null } } });
    await expectNoAgentLeft();
  }, 60_000);

  test("exec -t deployment/x/container/c targets that container of one of its pods", async () => {
    const result = await mirrordExec([
      "-t",
      "deployment/web/container/c",
      "--",
      join(bin, "identity"),
      "APP_MODE",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(keyValueLines(result.stdout)).toMatchObject({ hostname: WEB_HOSTNAME, APP_MODE: "web" });
    await expectNoAgentLeft();
  }, 60_000);

  test("exec -t statefulset/x runs the program as its pod", async () => {
    const result = await mirrordExec(["-t", "statefulset/db", "--", join(bin, "identity"), "APP_MODE"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(keyValueLines(result.stdout)).toMatchObject({ hostname: DB_HOSTNAME, APP_MODE: "db" });
    await expectNoAgentLeft();
  }, 60_000);

  test("targetless exec runs the program as the agent's own pod", async () => {
    const result = await mirrordExec(["--", join(bin, "identity")]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const seen = keyValueLines(result.stdout);
    expect(seen.hostname).toMatch(/^mirrord-agent-[a-z0-9]{10}-[a-z0-9]{5}$/);
    expect(seen.nodename).toBe(seen.hostname as string);
    await expectNoAgentLeft();
  }, 60_000);

  test("Ctrl-C while the agent starts deletes its Job and exits 130", async () => {
    await expectNoAgentLeft();
    kube.kubelet.pullDelayMs = 20_000;
    try {
      const child = Bun.spawn([mirrordBinary(), "exec", "-t", "pod/api-7d9f-x2k", "--", "true"], {
        env: {
          ...(process.env as Record<string, string>),
          KUBECONFIG: kube.kubeconfigPath,
          MIRRORD_PROGRESS_MODE: "off",
        },
        stdout: "pipe",
        stderr: "pipe",
      });
      // The agent pod exists and is pulling its image (slowly) when the user hits Ctrl-C.
      const agentPod = () => kube.list("pods").find((p) => p.metadata.labels?.app === "mirrord");
      for (let i = 0; i < 200 && !agentPod()?.spec.nodeName; i++) await Bun.sleep(50);
      expect(kube.list("jobs")).toHaveLength(1);
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
      clearTimeout(timer);
      expect(stderr).toContain("SIGINT while the agent was starting: removing it");
      expect(code).toBe(130);
      expect(kube.list("jobs")).toEqual([]);
      expect(kube.list("pods").filter((p) => p.metadata.labels?.app === "mirrord")).toEqual([]);
    } finally {
      kube.kubelet.pullDelayMs = 0;
    }
  }, 30_000);

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
    await expectNoAgentLeft();
  }, 30_000);

  test("an agent no node can take fails with the scheduler's reason and leaves no Job", async () => {
    const started = Date.now();
    const result = await mirrordExec(["-t", "pod/api-7d9f-x2k", "--", "true"], {
      agent: { node_selector: { pool: "gpu" }, startup_timeout: 20 },
    });
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.stderr).toContain("the agent pod cannot be scheduled: 0/1 nodes are available");
    expect(result.stderr).toContain("agent.node_selector");
    await expectNoAgentLeft();
  }, 30_000);

  test("RBAC refusing Job creation names the missing permission and exits 1", async () => {
    kube.server.deny("create", "jobs");
    try {
      const result = await mirrordExec(["-t", "pod/api-7d9f-x2k", "--", "true"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'forbidden by the cluster\'s RBAC: jobs.batch is forbidden: User "mirrord-test" cannot create resource "jobs" in API group "batch" in the namespace "default"',
      );
      expect(kube.list("jobs")).toEqual([]);
    } finally {
      kube.server.allowAll();
    }
  }, 30_000);

  test("an unreachable API server is named as the cause within the startup timeout", async () => {
    const file = join(bin, "unreachable-kubeconfig");
    writeFileSync(file, kubeconfigText({ url: "https://127.0.0.1:1", caPem: kube.caPem, token: kube.token }));
    const started = Date.now();
    const result = await mirrordExec(
      ["-t", "pod/api-7d9f-x2k", "--", "true"],
      { agent: { startup_timeout: 10 } },
      file,
    );
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.stderr).toContain("the Kubernetes API server at https://127.0.0.1:1 is unreachable");
  }, 30_000);

  test("a peer without the session secret cannot use the agent exec created", async () => {
    const child = Bun.spawn(
      [mirrordBinary(), "exec", "-f", configFile({ internal_proxy: { idle_timeout: 1 } })].concat([
        "-t",
        "pod/api-7d9f-x2k",
        "--",
        "sleep",
        "20",
      ]),
      { env: kubeEnv(), stdout: "ignore", stderr: "ignore" },
    );
    try {
      // exec lifts the Job's startup deadline once the agent is ready.
      const readyJob = () => kube.list("jobs").find((j) => j.spec.activeDeadlineSeconds === undefined);
      for (let i = 0; i < 400 && !readyJob(); i++) await Bun.sleep(50);
      const container = readyJob()?.spec.template.spec.containers[0];
      const agentPod = kube.list("pods").find((p) => p.metadata.labels?.app === "mirrord");
      const relay = await startAgentRelay(loadKubeConfig({ kubeconfig: kube.kubeconfigPath }, {}), {
        namespace: "default",
        pod: agentPod?.metadata.name as string,
        port: Number(container?.args[1]),
      });
      try {
        const peer = (secret: Uint8Array | null) =>
          ProtocolClient.connect({
            address: relay.address,
            role: "cli",
            clientName: "peer",
            secret,
            timeoutMs: 10_000,
          });
        await expect(peer(null)).rejects.toThrow(/badSecret/);
        await expect(peer(new Uint8Array(32).fill(7))).rejects.toThrow(/badSecret/);
        // The same path with the secret from the pod spec is let in: the refusals above were the secret's.
        const secretHex = container?.env.find(
          (e: { name: string }) => e.name === "MIRRORD_AGENT_SECRET",
        ).value;
        const holder = await peer(Buffer.from(secretHex, "hex"));
        holder.close();
      } finally {
        relay.close();
      }
    } finally {
      child.kill("SIGKILL");
      await child.exited;
    }
    await expectNoAgentLeft();
  }, 60_000);

  // Last: Kubernetes cannot remove an ephemeral container, so the target pod keeps a finished one.
  test("agent.ephemeral runs the agent inside the target pod and the program sees its env and hostname", async () => {
    const result = await mirrordExec(["-t", "pod/api-7d9f-x2k", "--", join(bin, "identity"), "APP_MODE"], {
      agent: { ephemeral: true, communication_timeout: 2, startup_timeout: 30 },
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(keyValueLines(result.stdout)).toMatchObject({ hostname: POD_HOSTNAME, APP_MODE: "cluster" });
    expect(kube.list("jobs")).toEqual([]);
    const target = kube.get("pods", "api-7d9f-x2k");
    expect(target?.spec.ephemeralContainers).toEqual([
      {
        name: expect.stringMatching(/^mirrord-agent-[a-z0-9]{10}$/),
        image: DEFAULT_AGENT_IMAGE,
        imagePullPolicy: "IfNotPresent",
        command: ["mirrord", "agent"],
        args: ["-l", expect.stringMatching(/^\d+$/), "-t", "2", "ephemeral"],
        targetContainerName: "app",
        securityContext: {
          runAsGroup: expect.any(Number),
          capabilities: { add: ["SYS_ADMIN", "SYS_PTRACE", "NET_ADMIN"] },
          privileged: false,
        },
        env: [
          { name: "MIRRORD_AGENT_SECRET", value: expect.stringMatching(/^[0-9a-f]{64}$/) },
          expect.objectContaining({ name: "RUST_LOG" }),
          ...Array.from({ length: 9 }, () =>
            expect.objectContaining({ name: expect.stringMatching(/^MIRRORD_/) }),
          ),
          { name: "MIRRORD_AGENT_POD_IPS", value: pod.ip },
          { name: "APP_MODE", value: "cluster" },
        ],
      },
    ]);
    // The agent leaves after its last client: the container ends (it cannot be deleted).
    for (
      let i = 0;
      i < 100 && !kube.get("pods", "api-7d9f-x2k")?.status.ephemeralContainerStatuses?.[0]?.state?.terminated;
      i++
    )
      await Bun.sleep(100);
    expect(
      kube.get("pods", "api-7d9f-x2k")?.status.ephemeralContainerStatuses[0].state.terminated,
    ).toBeDefined();
  }, 60_000);
});
