/**
 * The agent's Kubernetes objects against agent-kube.md §2: the exact Job (targetless, targeted) and
 * ephemeral container for default settings, then one row per `agent.*` field with the fragment it changes.
 */
import { describe, expect, test } from "bun:test";
import type { V1Container, V1EnvVar, V1EphemeralContainer, V1Job, V1PodSpec } from "@kubernetes/client-node";
import * as v from "valibot";
import { type AgentConfig, agentSchema, DEFAULT_AGENT_IMAGE } from "../config/agent.ts";
import { agentEphemeralContainer, agentJob, DEADLINE_MARGIN_S, type SessionParams } from "./agent-spec.ts";
import type { PodTarget } from "./target.ts";

const PARAMS: SessionParams = { name: "mirrord-agent-abcde12345", port: 41234, gid: 4321, secretHex: "5e" };

const TARGET: PodTarget = {
  kind: "pod",
  path: "pod/api",
  namespace: "shop",
  podName: "api",
  container: "app",
  containerId: "c0ffee",
  runtime: "containerd",
  nodeName: "node-1",
  podIps: ["10.0.0.7", "fd00::7"],
  mesh: undefined,
  pod: {
    metadata: { name: "api", namespace: "shop" },
    spec: {
      containers: [
        {
          name: "app",
          env: [{ name: "APP_MODE", value: "cluster" }],
          envFrom: [{ configMapRef: { name: "cm" } }],
        },
      ],
    },
  },
};

const agent = (input: object = {}): AgentConfig => v.parse(agentSchema, input);

const DEFAULT_ENV: V1EnvVar[] = [
  { name: "MIRRORD_AGENT_SECRET", value: "5e" },
  { name: "RUST_LOG", value: "info" },
  { name: "MIRRORD_AGENT_STEALER_FLUSH_CONNECTIONS", value: "true" },
  { name: "MIRRORD_AGENT_JSON_LOG", value: "false" },
  { name: "MIRRORD_AGENT_PASSTHROUGH_MIRRORING", value: "true" },
  { name: "MIRRORD_MAX_BODY_BUFFER_SIZE", value: "65535" },
  { name: "MIRRORD_MAX_BODY_BUFFER_TIMEOUT", value: "1000" },
  { name: "MIRRORD_AGENT_HTTP_DETECTION_TIMEOUT", value: "2" },
  { name: "MIRRORD_JAQ_TIME_LIMIT", value: "1" },
  { name: "MIRRORD_AGENT_EXTERNAL_IP_FIX", value: "true" },
  { name: "MIRRORD_AGENT_OVERRIDE_CACHE_CONTROL", value: "true" },
];
const POD_IPS_ENV = { name: "MIRRORD_AGENT_POD_IPS", value: "10.0.0.7,fd00::7" };
const MESH_LABELS = { "kuma.io/sidecar-injection": "disabled" };
const MESH_ANNOTATIONS = { "sidecar.istio.io/inject": "false", "linkerd.io/inject": "disabled" };
const DEFAULT_RESOURCES = { requests: { cpu: "1m", memory: "1Mi" }, limits: { cpu: "1", memory: "100Mi" } };

describe("agent objects for default settings", () => {
  test("targetless Job (§2.3)", () => {
    expect(agentJob(agent(), PARAMS, DEFAULT_AGENT_IMAGE)).toEqual({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        name: "mirrord-agent-abcde12345",
        labels: { app: "mirrord", ...MESH_LABELS },
        annotations: MESH_ANNOTATIONS,
      },
      spec: {
        ttlSecondsAfterFinished: 1,
        backoffLimit: 0,
        activeDeadlineSeconds: 60 + DEADLINE_MARGIN_S,
        template: {
          metadata: { labels: { app: "mirrord", ...MESH_LABELS }, annotations: MESH_ANNOTATIONS },
          spec: {
            restartPolicy: "Never",
            nodeSelector: {},
            containers: [
              {
                name: "mirrord-agent",
                image: DEFAULT_AGENT_IMAGE,
                imagePullPolicy: "IfNotPresent",
                command: ["mirrord", "agent"],
                args: ["-l", "41234", "-t", "30", "targetless"],
                env: DEFAULT_ENV,
                resources: DEFAULT_RESOURCES,
              },
            ],
          },
        },
      },
    });
  });

  test("targeted Job on the target's node (§2.4)", () => {
    const job = agentJob(agent(), PARAMS, DEFAULT_AGENT_IMAGE, TARGET, "node-1.example");
    expect(job.spec?.template.spec).toEqual({
      restartPolicy: "Never",
      tolerations: [{ operator: "Exists" }],
      nodeSelector: { "kubernetes.io/hostname": "node-1.example" },
      hostPID: true,
      volumes: [
        { name: "hostrun", hostPath: { path: "/run" } },
        { name: "hostvar", hostPath: { path: "/var" } },
      ],
      containers: [
        {
          name: "mirrord-agent",
          image: DEFAULT_AGENT_IMAGE,
          imagePullPolicy: "IfNotPresent",
          command: ["mirrord", "agent"],
          args: [
            "-l",
            "41234",
            "-t",
            "30",
            "targeted",
            "--container-id",
            "c0ffee",
            "--container-runtime",
            "containerd",
          ],
          env: [...DEFAULT_ENV, POD_IPS_ENV],
          resources: DEFAULT_RESOURCES,
          securityContext: {
            runAsGroup: 4321,
            privileged: false,
            capabilities: { add: ["SYS_ADMIN", "SYS_PTRACE", "NET_ADMIN"] },
          },
          volumeMounts: [
            { name: "hostrun", mountPath: "/host/run" },
            { name: "hostvar", mountPath: "/host/var" },
          ],
        },
      ],
    });
    // Without the node's hostname label the pod is pinned by nodeName.
    const pinned = agentJob(agent(), PARAMS, DEFAULT_AGENT_IMAGE, TARGET).spec?.template.spec;
    expect([pinned?.nodeName, pinned?.nodeSelector]).toEqual(["node-1", {}]);
  });

  test("ephemeral container (§2.5)", () => {
    expect(agentEphemeralContainer(agent(), PARAMS, DEFAULT_AGENT_IMAGE, TARGET)).toEqual({
      name: "mirrord-agent-abcde12345",
      image: DEFAULT_AGENT_IMAGE,
      imagePullPolicy: "IfNotPresent",
      command: ["mirrord", "agent"],
      args: ["-l", "41234", "-t", "30", "ephemeral"],
      targetContainerName: "app",
      securityContext: {
        runAsGroup: 4321,
        capabilities: { add: ["SYS_ADMIN", "SYS_PTRACE", "NET_ADMIN"] },
        privileged: false,
      },
      env: [...DEFAULT_ENV, POD_IPS_ENV, { name: "APP_MODE", value: "cluster" }],
      envFrom: [{ configMapRef: { name: "cm" } }],
    });
  });
});

type Mode = "targetless" | "targeted" | "ephemeral";
interface Objects {
  job?: V1Job;
  pod?: V1PodSpec;
  container: V1Container | V1EphemeralContainer;
}

function build(mode: Mode, config: object, target: PodTarget = TARGET): Objects {
  const settings = agent(config);
  if (mode === "ephemeral")
    return { container: agentEphemeralContainer(settings, PARAMS, settings.image, target) };
  const job = agentJob(settings, PARAMS, settings.image, mode === "targeted" ? target : undefined);
  const pod = job.spec?.template.spec as V1PodSpec;
  return { job, pod, container: pod.containers[0] as V1Container };
}

const envValue = (o: Objects, name: string) => o.container.env?.find((e) => e.name === name)?.value;

/** [config, mode, what it changes, expected] — one row per `agent.*` field (§2.6). */
const ROWS: [object, Mode, (o: Objects) => unknown, unknown][] = [
  [{ log_level: "debug,mirrord=trace" }, "targeted", (o) => envValue(o, "RUST_LOG"), "debug,mirrord=trace"],
  [{ json_log: true }, "targetless", (o) => envValue(o, "MIRRORD_AGENT_JSON_LOG"), "true"],
  [{ image: "registry.example/agent:7" }, "targeted", (o) => o.container.image, "registry.example/agent:7"],
  [{ image: { registry: "r.example/a", tag: "9" } }, "ephemeral", (o) => o.container.image, "r.example/a:9"],
  [{ image_pull_policy: "Always" }, "ephemeral", (o) => o.container.imagePullPolicy, "Always"],
  [
    { image_pull_secrets: [{ name: "regcred" }] },
    "targetless",
    (o) => o.pod?.imagePullSecrets,
    [{ name: "regcred" }],
  ],
  [{ ttl: 30 }, "targeted", (o) => o.job?.spec?.ttlSecondsAfterFinished, 30],
  [{ communication_timeout: 5 }, "targeted", (o) => o.container.args?.slice(2, 4), ["-t", "5"]],
  [{ startup_timeout: 10 }, "targetless", (o) => o.job?.spec?.activeDeadlineSeconds, 10 + DEADLINE_MARGIN_S],
  [
    { flush_connections: false },
    "ephemeral",
    (o) => envValue(o, "MIRRORD_AGENT_STEALER_FLUSH_CONNECTIONS"),
    "false",
  ],
  [
    { disabled_capabilities: ["SYS_PTRACE", "NET_ADMIN"] },
    "targeted",
    (o) => o.container.securityContext?.capabilities,
    { add: ["SYS_ADMIN"] },
  ],
  [
    { disabled_capabilities: ["SYS_ADMIN"] },
    "ephemeral",
    (o) => o.container.securityContext?.capabilities,
    { add: ["SYS_PTRACE", "NET_ADMIN"] },
  ],
  [{ disabled_capabilities: ["SYS_ADMIN"] }, "targetless", (o) => o.container.securityContext, undefined],
  [
    { tolerations: [{ key: "gpu", operator: "Equal", value: "yes", effect: "NoSchedule" }] },
    "targeted",
    (o) => o.pod?.tolerations,
    [{ key: "gpu", operator: "Equal", value: "yes", effect: "NoSchedule" }],
  ],
  [{ tolerations: [] }, "targeted", (o) => o.pod?.tolerations, []],
  [{}, "targetless", (o) => o.pod?.tolerations, undefined],
  [
    { resources: { requests: { cpu: "100m", memory: 64 }, limits: { memory: "1Gi" } } },
    "targeted",
    (o) => (o.container as V1Container).resources,
    { requests: { cpu: "100m", memory: "64" }, limits: { memory: "1Gi" } },
  ],
  [{ resources: { limits: { cpu: "2" } } }, "ephemeral", (o) => "resources" in o.container, false],
  [{ privileged: true }, "targeted", (o) => o.container.securityContext?.privileged, true],
  [
    { privileged: true },
    "ephemeral",
    (o) => {
      const { privileged, runAsNonRoot, runAsUser } = o.container.securityContext ?? {};
      return { privileged, runAsNonRoot, runAsUser };
    },
    { privileged: true, runAsNonRoot: false, runAsUser: 0 },
  ],
  [{ external_ip_fix: false }, "targeted", (o) => envValue(o, "MIRRORD_AGENT_EXTERNAL_IP_FIX"), "false"],
  [{ nftables: true }, "targeted", (o) => envValue(o, "MIRRORD_AGENT_NFTABLES"), "true"],
  [{}, "targeted", (o) => envValue(o, "MIRRORD_AGENT_NFTABLES"), undefined],
  [
    { dns: { timeout: 3, attempts: 2 } },
    "targetless",
    (o) => [envValue(o, "MIRRORD_AGENT_DNS_TIMEOUT"), envValue(o, "MIRRORD_AGENT_DNS_ATTEMPTS")],
    ["3", "2"],
  ],
  [
    { labels: { team: "core" }, annotations: { owner: "me" } },
    "targeted",
    (o) => [o.job?.metadata?.labels, o.job?.metadata?.annotations, o.job?.spec?.template.metadata],
    [
      { team: "core", app: "mirrord", ...MESH_LABELS },
      { owner: "me", ...MESH_ANNOTATIONS },
      {
        labels: { team: "core", app: "mirrord", ...MESH_LABELS },
        annotations: { owner: "me", ...MESH_ANNOTATIONS },
      },
    ],
  ],
  [
    // §2.3 quirk: without the mesh opt-out, annotations stay on the Job only.
    { labels: { team: "core" }, annotations: { owner: "me" }, disable_mesh_sidecar_injection: false },
    "targetless",
    (o) => [o.job?.metadata?.labels, o.job?.metadata?.annotations, o.job?.spec?.template.metadata],
    [{ team: "core", app: "mirrord" }, { owner: "me" }, { labels: { team: "core", app: "mirrord" } }],
  ],
  [{ labels: { team: "core" } }, "ephemeral", (o) => "labels" in o.container, false],
  [{ node_selector: { pool: "dev" } }, "targetless", (o) => o.pod?.nodeSelector, { pool: "dev" }],
  [
    { node_selector: { pool: "dev" } },
    "targeted",
    (o) => [o.pod?.nodeSelector, o.pod?.nodeName],
    [{ pool: "dev" }, "node-1"],
  ],
  [{ service_account: "agent-sa" }, "targeted", (o) => o.pod?.serviceAccountName, "agent-sa"],
  [{ priority_class: "high" }, "targetless", (o) => o.pod?.priorityClassName, "high"],
  [{ metrics: "0.0.0.0:9000" }, "targeted", (o) => envValue(o, "MIRRORD_AGENT_METRICS"), "0.0.0.0:9000"],
  [{ exclude_from_mesh: true }, "ephemeral", (o) => envValue(o, "MIRRORD_AGENT_EXCLUDE_FROM_MESH"), "true"],
  [{ exclude_from_mesh: true }, "targeted", (o) => envValue(o, "MIRRORD_AGENT_EXCLUDE_FROM_MESH"), undefined],
  [{ inject_headers: true }, "targeted", (o) => envValue(o, "MIRRORD_AGENT_INJECT_HEADERS"), "true"],
  [
    { override_cache_control: false },
    "targeted",
    (o) => envValue(o, "MIRRORD_AGENT_OVERRIDE_CACHE_CONTROL"),
    "false",
  ],
  [
    { max_body_buffer_size: 1024, max_body_buffer_timeout: 50 },
    "targeted",
    (o) => [envValue(o, "MIRRORD_MAX_BODY_BUFFER_SIZE"), envValue(o, "MIRRORD_MAX_BODY_BUFFER_TIMEOUT")],
    ["1024", "50"],
  ],
  [
    { http_detection_timeout: 7 },
    "targeted",
    (o) => envValue(o, "MIRRORD_AGENT_HTTP_DETECTION_TIMEOUT"),
    "7",
  ],
  [
    {
      security_context: {
        app_armor_profile: { type: "Localhost", localhost_profile: "mirrord" },
        seccomp_profile: { type: "RuntimeDefault" },
      },
    },
    "targeted",
    (o) => o.pod?.securityContext,
    {
      appArmorProfile: { type: "Localhost", localhostProfile: "mirrord" },
      seccompProfile: { type: "RuntimeDefault" },
    },
  ],
  [
    { clean_iptables_on_start: true },
    "targeted",
    (o) => envValue(o, "MIRRORD_AGENT_CLEAN_IPTABLES_ON_START"),
    "true",
  ],
  [{ jaq_time_limit: 3 }, "targeted", (o) => envValue(o, "MIRRORD_JAQ_TIME_LIMIT"), "3"],
];

describe("each agent.* field changes its part of the object", () => {
  for (const [config, mode, pick, expected] of ROWS)
    test(`${JSON.stringify(config)} (${mode})`, () => {
      expect(pick(build(mode, config))).toEqual(expected);
    });

  test("a detected mesh adds the mesh env to targeted and ephemeral agents", () => {
    const meshed: PodTarget = { ...TARGET, mesh: "istio-cni" };
    for (const mode of ["targeted", "ephemeral"] as const) {
      const o = build(mode, {}, meshed);
      expect([envValue(o, "MIRRORD_AGENT_IN_SERVICE_MESH"), envValue(o, "MIRRORD_AGENT_ISTIO_CNI")]).toEqual([
        "true",
        "true",
      ]);
    }
  });

  test("a pod sharing its process namespace tells the ephemeral agent the target container id", () => {
    const shared: PodTarget = {
      ...TARGET,
      pod: {
        ...TARGET.pod,
        spec: {
          ...TARGET.pod.spec,
          containers: TARGET.pod.spec?.containers ?? [],
          shareProcessNamespace: true,
        },
      },
    };
    expect(envValue(build("ephemeral", {}, shared), "MIRRORD_AGENT_EPHEMERAL_TARGET_CONTAINER_ID")).toBe(
      "c0ffee",
    );
  });

  test("the session secret is the first env entry of every mode", () => {
    for (const mode of ["targetless", "targeted", "ephemeral"] as const)
      expect(build(mode, {}).container.env?.[0]).toEqual({ name: "MIRRORD_AGENT_SECRET", value: "5e" });
  });
});
