/**
 * The Kubernetes objects that run an agent (agent-kube.md §2): a Job (targetless, or targeted on the
 * target's node) or an ephemeral container in the target pod. Pure: config + target + session params in,
 * objects out, so tests can compare them field by field.
 */
import type {
  V1Container,
  V1EnvVar,
  V1EphemeralContainer,
  V1Job,
  V1Pod,
  V1PodSpec,
} from "@kubernetes/client-node";
import type { AgentConfig } from "../config/agent.ts";
import type { PodTarget } from "./target.ts";

export const AGENT_CONTAINER = "mirrord-agent";
/** Our image runs `mirrord agent …` (the same single binary); mirrord's runs `./mirrord-agent`. */
export const AGENT_COMMAND = ["mirrord", "agent"];
const CAPABILITIES = ["SYS_ADMIN", "SYS_PTRACE", "NET_ADMIN"];
const DEFAULT_RESOURCES = { requests: { cpu: "1m", memory: "1Mi" }, limits: { cpu: "1", memory: "100Mi" } };
/** A Job whose agent never became ready is failed (and its pod removed) this long after the startup timeout. */
export const DEADLINE_MARGIN_S = 30;

/** Random per session (§2.1) plus the secret only this client knows. */
export interface SessionParams {
  name: string;
  port: number;
  gid: number;
  secretHex: string;
}

function randomInt(min: number, max: number): number {
  const [value = 0] = crypto.getRandomValues(new Uint32Array(1));
  return min + (value % (max - min + 1));
}

export function newSessionParams(): SessionParams {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const suffix = Array.from(
    crypto.getRandomValues(new Uint8Array(10)),
    (b) => alphabet[b % alphabet.length],
  ).join("");
  return {
    name: `mirrord-agent-${suffix}`,
    port: randomInt(30000, 65535),
    gid: randomInt(3000, 65534),
    secretHex: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex"),
  };
}

const env = (name: string, value: string): V1EnvVar => ({ name, value });

/** Env every agent container gets (§2.2 table), the session secret first. */
export function agentEnv(agent: AgentConfig, params: SessionParams, podIps: string[]): V1EnvVar[] {
  const list = [
    env("MIRRORD_AGENT_SECRET", params.secretHex),
    env("RUST_LOG", agent.log_level),
    env("MIRRORD_AGENT_STEALER_FLUSH_CONNECTIONS", String(agent.flush_connections)),
    env("MIRRORD_AGENT_JSON_LOG", String(agent.json_log)),
    env("MIRRORD_AGENT_PASSTHROUGH_MIRRORING", "true"),
    env("MIRRORD_MAX_BODY_BUFFER_SIZE", String(agent.max_body_buffer_size)),
    env("MIRRORD_MAX_BODY_BUFFER_TIMEOUT", String(agent.max_body_buffer_timeout)),
    env("MIRRORD_AGENT_HTTP_DETECTION_TIMEOUT", String(agent.http_detection_timeout)),
    env("MIRRORD_JAQ_TIME_LIMIT", String(agent.jaq_time_limit)),
    env("MIRRORD_AGENT_EXTERNAL_IP_FIX", String(agent.external_ip_fix)),
    env("MIRRORD_AGENT_OVERRIDE_CACHE_CONTROL", String(agent.override_cache_control)),
  ];
  if (agent.nftables !== undefined) list.push(env("MIRRORD_AGENT_NFTABLES", String(agent.nftables)));
  if (agent.dns.attempts !== undefined)
    list.push(env("MIRRORD_AGENT_DNS_ATTEMPTS", String(agent.dns.attempts)));
  if (agent.dns.timeout !== undefined) list.push(env("MIRRORD_AGENT_DNS_TIMEOUT", String(agent.dns.timeout)));
  if (podIps.length > 0) list.push(env("MIRRORD_AGENT_POD_IPS", podIps.join(",")));
  if (agent.metrics !== undefined) list.push(env("MIRRORD_AGENT_METRICS", agent.metrics));
  if (agent.inject_headers) list.push(env("MIRRORD_AGENT_INJECT_HEADERS", "true"));
  if (agent.clean_iptables_on_start !== undefined)
    list.push(env("MIRRORD_AGENT_CLEAN_IPTABLES_ON_START", String(agent.clean_iptables_on_start)));
  return list;
}

function meshEnv(target: PodTarget): V1EnvVar[] {
  if (!target.mesh) return [];
  return [
    env("MIRRORD_AGENT_IN_SERVICE_MESH", "true"),
    ...(target.mesh === "istio-cni" ? [env("MIRRORD_AGENT_ISTIO_CNI", "true")] : []),
  ];
}

function args(agent: AgentConfig, params: SessionParams, mode: string[]): string[] {
  return ["-l", String(params.port), "-t", String(agent.communication_timeout ?? 30), ...mode];
}

function capabilities(agent: AgentConfig) {
  const disabled = new Set<string>(agent.disabled_capabilities ?? []);
  return { add: CAPABILITIES.filter((c) => !disabled.has(c)) };
}

function podSecurityContext(agent: AgentConfig): V1PodSpec["securityContext"] {
  const context = agent.security_context;
  if (!context) return undefined;
  const profile = (p: { type: string; localhost_profile?: string | undefined } | undefined) =>
    p && {
      type: p.type,
      ...(p.localhost_profile === undefined ? {} : { localhostProfile: p.localhost_profile }),
    };
  return {
    ...(context.app_armor_profile ? { appArmorProfile: profile(context.app_armor_profile) } : {}),
    ...(context.seccomp_profile ? { seccompProfile: profile(context.seccomp_profile) } : {}),
  } as V1PodSpec["securityContext"];
}

function meshOptOut(agent: AgentConfig): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  return agent.disable_mesh_sidecar_injection
    ? {
        labels: { "kuma.io/sidecar-injection": "disabled" },
        annotations: { "sidecar.istio.io/inject": "false", "linkerd.io/inject": "disabled" },
      }
    : { labels: {}, annotations: {} };
}

/** Quantities travel as strings (`1`, `100Mi`); the config also accepts bare numbers. */
function quantities(resources: NonNullable<AgentConfig["resources"]>) {
  const strings = (map: Record<string, string | number> | undefined) =>
    map && Object.fromEntries(Object.entries(map).map(([k, v]) => [k, String(v)]));
  return defined({ requests: strings(resources.requests), limits: strings(resources.limits) });
}

/** Drops undefined members so the object is exactly what the API server receives. */
function defined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

/**
 * The Job of §2.3 (targetless) or §2.4 (targeted, when `target` is given). A targeted agent lands on the
 * target's node through its `kubernetes.io/hostname` label when known, else through `nodeName`.
 */
export function agentJob(
  agent: AgentConfig,
  params: SessionParams,
  image: string,
  target?: PodTarget,
  nodeHostname?: string,
): V1Job {
  const optOut = meshOptOut(agent);
  const labels: Record<string, string> = { ...agent.labels, app: "mirrord", ...optOut.labels };
  const jobAnnotations: Record<string, string> = { ...agent.annotations, ...optOut.annotations };
  const templateAnnotations: Record<string, string> = agent.disable_mesh_sidecar_injection
    ? jobAnnotations
    : {};
  const mode = target
    ? ["targeted", "--container-id", target.containerId, "--container-runtime", target.runtime]
    : ["targetless"];
  const container: V1Container = defined({
    name: AGENT_CONTAINER,
    image,
    imagePullPolicy: agent.image_pull_policy,
    command: AGENT_COMMAND,
    args: args(agent, params, mode),
    env: [...agentEnv(agent, params, target?.podIps ?? []), ...(target ? meshEnv(target) : [])],
    resources: agent.resources ? quantities(agent.resources) : DEFAULT_RESOURCES,
    securityContext: target
      ? { runAsGroup: params.gid, privileged: agent.privileged, capabilities: capabilities(agent) }
      : undefined,
    volumeMounts: target
      ? [
          { name: "hostrun", mountPath: "/host/run" },
          { name: "hostvar", mountPath: "/host/var" },
        ]
      : undefined,
  });
  const tolerations = agent.tolerations ?? (target ? [{ operator: "Exists" }] : undefined);
  const spec: V1PodSpec = defined({
    restartPolicy: "Never",
    imagePullSecrets: agent.image_pull_secrets,
    tolerations,
    nodeSelector: {
      ...agent.node_selector,
      ...(nodeHostname ? { "kubernetes.io/hostname": nodeHostname } : {}),
    },
    serviceAccountName: agent.service_account,
    securityContext: podSecurityContext(agent),
    priorityClassName: agent.priority_class,
    hostPID: target ? true : undefined,
    nodeName: nodeHostname ? undefined : target?.nodeName,
    volumes: target
      ? [
          { name: "hostrun", hostPath: { path: "/run" } },
          { name: "hostvar", hostPath: { path: "/var" } },
        ]
      : undefined,
    containers: [container],
  });
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: defined({
      name: params.name,
      labels,
      annotations: Object.keys(jobAnnotations).length > 0 ? jobAnnotations : undefined,
    }),
    spec: {
      ttlSecondsAfterFinished: agent.ttl,
      backoffLimit: 0,
      activeDeadlineSeconds: agent.startup_timeout + DEADLINE_MARGIN_S,
      template: {
        metadata: defined({
          labels,
          annotations: Object.keys(templateAnnotations).length > 0 ? templateAnnotations : undefined,
        }),
        spec,
      },
    },
  };
}

/** The ephemeral container of §2.5, to append to the target pod's `spec.ephemeralContainers`. */
export function agentEphemeralContainer(
  agent: AgentConfig,
  params: SessionParams,
  image: string,
  target: PodTarget,
): V1EphemeralContainer {
  const pod: V1Pod = target.pod;
  const app = pod.spec?.containers.find((c) => c.name === target.container);
  const extra = [
    ...meshEnv(target),
    ...(pod.spec?.shareProcessNamespace
      ? [env("MIRRORD_AGENT_EPHEMERAL_TARGET_CONTAINER_ID", target.containerId)]
      : []),
    ...(agent.exclude_from_mesh ? [env("MIRRORD_AGENT_EXCLUDE_FROM_MESH", "true")] : []),
  ];
  return defined({
    name: params.name,
    image,
    imagePullPolicy: agent.image_pull_policy,
    command: AGENT_COMMAND,
    args: args(agent, params, ["ephemeral"]),
    targetContainerName: target.container,
    securityContext: {
      runAsGroup: params.gid,
      capabilities: capabilities(agent),
      privileged: agent.privileged,
      ...(agent.privileged ? { runAsNonRoot: false, runAsUser: 0 } : {}),
    },
    env: [...agentEnv(agent, params, target.podIps), ...extra, ...(app?.env ?? [])],
    envFrom: app?.envFrom,
  });
}
