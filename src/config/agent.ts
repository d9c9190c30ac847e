/** `agent`: how the agent pod/container is created. Ignored when the operator is used. */
import * as v from "valibot";
import {
  bool,
  byShape,
  i64,
  listOf,
  maybe,
  oneOf,
  section,
  socketAddress,
  str,
  stringMap,
  u16,
  u32,
  u64,
  withDefault,
} from "./schema-kit.ts";
import { VERSION } from "./version.ts";

/** Our own agent image (built from this binary), not mirrord's: the protocols differ. */
export const DEFAULT_AGENT_REGISTRY = "ghcr.io/mirrord-ts/mirrord-agent";
export const DEFAULT_AGENT_TAG = VERSION;
export const DEFAULT_AGENT_IMAGE = `${DEFAULT_AGENT_REGISTRY}:${DEFAULT_AGENT_TAG}`;

const imageParts = v.pipe(
  section(
    {
      registry: maybe(str, `Image repository (default ${DEFAULT_AGENT_REGISTRY}).`),
      tag: maybe(str, "Image tag (default: this mirrord version)."),
    },
    "Agent image split into registry and tag.",
  ),
  v.transform(({ registry, tag }) => `${registry ?? DEFAULT_AGENT_REGISTRY}:${tag ?? DEFAULT_AGENT_TAG}`),
);

const image = byShape({ string: str, object: imageParts }, 'an image "repo:tag" or {"registry", "tag"}');

const toleration = section(
  {
    key: maybe(str, "Taint key."),
    operator: maybe(str, "Exists or Equal."),
    value: maybe(str, "Taint value."),
    effect: maybe(str, "NoSchedule, PreferNoSchedule or NoExecute."),
    tolerationSeconds: maybe(i64, "How long a NoExecute taint is tolerated."),
  },
  "A Kubernetes toleration.",
);

const quantities = v.record(
  v.string(),
  v.union(
    [v.string(), v.number()],
    (issue) => `expected a quantity such as "100Mi", "1" or 0.5, got ${issue.received}`,
  ),
  (issue) => `expected an object of resource quantities, got ${issue.received}`,
);
const resources = section(
  {
    requests: maybe(quantities, "Resource requests."),
    limits: maybe(quantities, "Resource limits."),
  },
  "Kubernetes resource requirements of the agent container.",
);

const profile = section(
  {
    type: str,
    localhost_profile: maybe(str, "Profile path on the node (type Localhost)."),
  },
  "An AppArmor or seccomp profile.",
);

export const agentSchema = section(
  {
    log_level: withDefault(str, "info", "Agent log level (RUST_LOG syntax)."),
    json_log: withDefault(bool, false, "Agent logs as JSON lines."),
    namespace: maybe(str, "Namespace for the agent (ignored for targetless and ephemeral agents)."),
    image: withDefault(image, DEFAULT_AGENT_IMAGE, "Agent image: 'repo:tag' or {registry, tag}."),
    image_pull_policy: withDefault(str, "IfNotPresent", "Kubernetes image pull policy of the agent."),
    image_pull_secrets: maybe(listOf(section({ name: str }, "A pull secret.")), "Pull secrets: [{name}]."),
    ttl: withDefault(u16, 1, "Seconds the agent Job persists after the agent exits."),
    ephemeral: withDefault(bool, false, "Run the agent as an ephemeral container of the target pod."),
    communication_timeout: maybe(u16, "Seconds the agent waits for messages before it exits (default 30)."),
    startup_timeout: withDefault(u64, 60, "Seconds to wait for the agent to become ready."),
    flush_connections: withDefault(bool, true, "Flush existing connections when stealing starts (unstable)."),
    disabled_capabilities: maybe(
      listOf(oneOf(["SYS_ADMIN", "SYS_PTRACE", "NET_ADMIN", "NET_RAW"])),
      "Linux capabilities to withhold from the agent.",
    ),
    tolerations: maybe(listOf(toleration), 'Agent pod tolerations (default [{"operator": "Exists"}]).'),
    resources: maybe(resources, "Agent resources (default requests 1m/1Mi, limits 1/100Mi)."),
    check_out_of_pods: withDefault(bool, true, "Check the node has room for the agent before creating it."),
    privileged: withDefault(bool, false, "Run the agent container privileged."),
    external_ip_fix: withDefault(bool, true, "Handle traffic addressed to the pod's external IP."),
    nftables: maybe(bool, "Use iptables-nft instead of iptables-legacy (default: detect)."),
    dns: withDefault(
      section(
        {
          timeout: maybe(u32, "Seconds per DNS query in the agent."),
          attempts: maybe(u32, "DNS attempts in the agent."),
        },
        "Agent DNS resolver settings.",
      ),
      {},
      "Agent DNS resolver settings.",
    ),
    labels: maybe(stringMap, "Extra labels on the agent Job and Pod."),
    annotations: maybe(stringMap, "Extra annotations on the agent Job and Pod."),
    node_selector: maybe(stringMap, "Node selector for targetless agents."),
    service_account: maybe(str, "Service account of the agent pod."),
    priority_class: maybe(str, "Priority class of the agent pod."),
    metrics: maybe(socketAddress, "Address for the agent's Prometheus metrics, e.g. 0.0.0.0:9000."),
    exclude_from_mesh: withDefault(bool, false, "Keep the agent's traffic out of the service mesh."),
    inject_headers: withDefault(bool, false, "Add mirrord headers to stolen HTTP responses."),
    override_cache_control: withDefault(bool, true, "Override Cache-Control on stolen responses."),
    max_body_buffer_size: withDefault(u32, 65_535, "Max HTTP body bytes buffered for body filters."),
    max_body_buffer_timeout: withDefault(u32, 1000, "Max milliseconds to buffer a body for body filters."),
    http_detection_timeout: withDefault(u64, 2, "Seconds to wait for the first bytes when detecting HTTP."),
    security_context: maybe(
      section(
        {
          app_armor_profile: maybe(profile, "AppArmor profile."),
          seccomp_profile: maybe(profile, "Seccomp profile."),
        },
        "Agent security context.",
      ),
      "Agent container security context.",
    ),
    clean_iptables_on_start: maybe(bool, "Remove leftover mirrord iptables rules when the agent starts."),
    disable_mesh_sidecar_injection: withDefault(
      bool,
      true,
      "Ask the mesh not to inject a sidecar into the agent.",
    ),
    jaq_time_limit: withDefault(u64, 1, "Time limit of jq header filters."),
  },
  "Configuration of the mirrord agent spawned in the cluster.",
);

export type AgentConfig = v.InferOutput<typeof agentSchema>;
