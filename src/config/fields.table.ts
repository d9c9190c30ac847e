/**
 * One row per config field: its documented default, every accepted way to write it, the env vars
 * and `mirrord exec` flags that set it, and one invalid value with the exact error the user sees.
 * fields.test.ts checks every row against the engine (and that every schema field has a row);
 * src/cli/exec-options.test.ts checks the flags. Values come from the reference (cli-config.md §2.3,
 * §3.1, §1.3), not from running the code.
 */
import { VERSION } from "./version.ts";

export interface Form {
  /** The value written at the row's path in a config file. */
  write: unknown;
  /** The value at the row's path in the resolved config (undefined = absent). */
  resolved: unknown;
}

export interface EnvCase {
  name: string;
  value: string;
  resolved: unknown;
  /** The env var only fills what the file leaves out, so the file's first form wins over it. */
  fileWins?: true;
}

export interface FlagCase {
  /** `mirrord exec` arguments before `--`. */
  argv: string[];
  resolved: unknown;
}

export interface FieldRow {
  /** Dotted path, the same in the file and in the resolved config. */
  path: string;
  /** Resolved value when nothing sets the field (undefined = absent). */
  default: unknown;
  forms: Form[];
  env: EnvCase[];
  flags: FlagCase[];
  invalid: { write: unknown; error: string };
  /** An invalid env value and its exact error (for fields with an env var). */
  envInvalid?: { name: string; value: string; error: string };
  /** Other fields written in every case, e.g. the enclosing object of a field that only exists inside it. */
  context?: Record<string, unknown>;
  /** The row's forms exercise the field's sub-fields too (a value written as an object). */
  coversSubfields?: true;
}

interface Extras {
  env?: string;
  flags?: FlagCase[];
  context?: Record<string, unknown>;
}

type RowFields = Omit<FieldRow, "env" | "flags"> & { env?: EnvCase[]; flags?: FlagCase[] };

function row(fields: RowFields): FieldRow {
  return { ...fields, env: fields.env ?? [], flags: fields.flags ?? [] };
}

const optional = (fallback: unknown): Form[] =>
  fallback === undefined ? [{ write: null, resolved: undefined }] : [];

function bool(path: string, fallback: boolean | undefined, extras: Extras = {}): FieldRow {
  const { env: name, flags, context } = extras;
  return row({
    path,
    default: fallback,
    forms: [{ write: true, resolved: true }, { write: false, resolved: false }, ...optional(fallback)],
    env:
      name === undefined
        ? []
        : [
            { name, value: "true", resolved: true },
            { name, value: "false", resolved: false },
          ],
    ...(name === undefined
      ? {}
      : {
          envInvalid: {
            name,
            value: "yes",
            error: `${path}: invalid ${name} value "yes": provided string was not \`true\` or \`false\``,
          },
        }),
    ...(flags === undefined ? {} : { flags }),
    ...(context === undefined ? {} : { context }),
    invalid: { write: "yes", error: `${path}: expected true or false, got "yes"` },
  });
}

const RANGES = {
  u16: { max: 65_535, envExpected: "an integer 0..65535" },
  u32: { max: 4_294_967_295, envExpected: undefined },
  u64: { max: Number.MAX_SAFE_INTEGER, envExpected: "a non-negative integer" },
} as const;

function integer(
  path: string,
  fallback: number | undefined,
  kind: keyof typeof RANGES,
  extras: Extras = {},
): FieldRow {
  const { max, envExpected } = RANGES[kind];
  const { env: name, flags, context } = extras;
  return row({
    path,
    default: fallback,
    forms: [{ write: 0, resolved: 0 }, { write: max, resolved: max }, ...optional(fallback)],
    env: name === undefined ? [] : [{ name, value: "7", resolved: 7 }],
    ...(name === undefined
      ? {}
      : {
          envInvalid: {
            name,
            value: "-1",
            error: `${path}: invalid ${name} value "-1": expected ${envExpected}`,
          },
        }),
    ...(flags === undefined ? {} : { flags }),
    ...(context === undefined ? {} : { context }),
    invalid: { write: -1, error: `${path}: expected an integer (0..${max}), got -1` },
  });
}

function string(path: string, fallback: string | undefined, extras: Extras = {}): FieldRow {
  const { env: name, flags, context } = extras;
  return row({
    path,
    default: fallback,
    forms: [{ write: "value-1", resolved: "value-1" }, ...optional(fallback)],
    env: name === undefined ? [] : [{ name, value: "from-env", resolved: "from-env" }],
    ...(flags === undefined ? {} : { flags }),
    ...(context === undefined ? {} : { context }),
    invalid: { write: 3, error: `${path}: expected a string, got 3` },
  });
}

/** A single value or a list; `;` splits only in env values. */
function list(path: string, fallback: string[] | undefined, extras: Extras = {}): FieldRow {
  const { env: name, flags, context } = extras;
  return row({
    path,
    default: fallback,
    forms: [
      { write: "a;b", resolved: ["a;b"] },
      { write: ["a", "b"], resolved: ["a", "b"] },
      ...optional(fallback),
    ],
    env: name === undefined ? [] : [{ name, value: "x;y", resolved: ["x", "y"] }],
    ...(flags === undefined ? {} : { flags }),
    ...(context === undefined ? {} : { context }),
    invalid: { write: 3, error: `${path}: expected a string or a list of strings, got 3` },
  });
}

/** A plain list of strings (no single-value shorthand). */
function strings(path: string, fallback: string[] | undefined, extras: Extras = {}): FieldRow {
  return row({
    path,
    default: fallback,
    forms: [{ write: ["a", "b"], resolved: ["a", "b"] }, { write: [], resolved: [] }, ...optional(fallback)],
    ...(extras.context === undefined ? {} : { context: extras.context }),
    invalid: { write: "a", error: `${path}: expected a list, got "a"` },
  });
}

function map(path: string, extras: Extras = {}): FieldRow {
  return row({
    path,
    default: undefined,
    forms: [{ write: { "a.b/c": "1" }, resolved: { "a.b/c": "1" } }, ...optional(undefined)],
    ...(extras.context === undefined ? {} : { context: extras.context }),
    invalid: { write: { k: 1 }, error: `${path}.k: expected a string value, got 1` },
  });
}

function ports(path: string): FieldRow {
  return row({
    path,
    default: undefined,
    forms: [{ write: [80, 65_535], resolved: [80, 65_535] }, ...optional(undefined)],
    invalid: { write: [0], error: `${path}.0: expected a port (1..65535), got 0` },
  });
}

function portPairs(path: string): FieldRow {
  return row({
    path,
    default: undefined,
    forms: [{ write: [[8080, 80]], resolved: [[8080, 80]] }, ...optional(undefined)],
    invalid: { write: [[8080]], error: `${path}.0.1: expected a port (1..65535), got undefined` },
  });
}

const IMAGE = `ghcr.io/mirrord-ts/mirrord-agent:${VERSION}`;
const INCOMING = "feature.network.incoming";
const FILTER = `${INCOMING}.http_filter`;
const OUTGOING = "feature.network.outgoing";
const DNS = "feature.network.dns";
const PREVIEW = { feature: { preview: {} } };
const TLS = { feature: { network: { incoming: { tls_delivery: {} } } } };
const INCOMING_DEFAULT = {
  mode: "mirror",
  http_filter: {},
  ignore_localhost: false,
  on_concurrent_steal: "abort",
};
const FS_DEFAULT = { mode: "read", readonly_file_buffer: 128_000 };
const TARGET_FORMATS =
  "!\nValid formats are:\n  targetless\n  pod/<pod>[/container/<container>]\n  deployment/<deployment>[/container/<container>]\n" +
  "  rollout/<rollout>[/container/<container>]\n  job/<job>[/container/<container>]\n  cronjob/<cronjob>[/container/<container>]\n" +
  "  statefulset/<statefulset>[/container/<container>]\n  service/<service>[/container/<container>]\n" +
  "  replicaset/<replicaset>[/container/<container>]\n  label/<key>=<value>[,<key>=<value>...][/container/<container>]";

const rootRows: FieldRow[] = [
  {
    ...bool("accept_invalid_certificates", undefined, { env: "MIRRORD_ACCEPT_INVALID_CERTIFICATES" }),
    flags: [
      { argv: ["-c"], resolved: true },
      { argv: ["-c=false"], resolved: false },
      { argv: ["--accept-invalid-certificates=true"], resolved: true },
    ],
  },
  list("skip_processes", undefined, {
    env: "MIRRORD_SKIP_PROCESSES",
    flags: [{ argv: ["--skip-processes", "bash;node"], resolved: ["bash", "node"] }],
  }),
  bool("skip_build_tools", true, { env: "MIRRORD_SKIP_BUILD_TOOLS" }),
  list("skip_extra_build_tools", undefined, { env: "MIRRORD_SKIP_EXTRA_BUILD_TOOLS" }),
  bool("operator", undefined, { env: "MIRRORD_OPERATOR_ENABLE" }),
  bool("multi_cluster", undefined, { env: "MIRRORD_MULTI_CLUSTER" }),
  bool("api", true, { env: "MIRRORD_API" }),
  string("profile", undefined),
  string("kubeconfig", undefined, { env: "MIRRORD_KUBECONFIG" }),
  string("kube_context", undefined, {
    env: "MIRRORD_KUBE_CONTEXT",
    flags: [{ argv: ["--context", "kind-kind"], resolved: "kind-kind" }],
  }),
  list("sip_binaries", undefined),
  list("skip_sip", ["git"], { env: "MIRRORD_SKIP_SIP" }),
  bool("telemetry", true, {
    env: "MIRRORD_TELEMETRY",
    flags: [{ argv: ["--no-telemetry"], resolved: false }],
  }),
  bool("use_proxy", true, { env: "MIRRORD_PROXY" }),
  {
    // test-support generates "abcde" where mirrord generates 5 random hex characters.
    ...string("key", "abcde", {
      env: "MIRRORD_KEY",
      flags: [{ argv: ["-k", "team-a"], resolved: "team-a" }],
    }),
  },
  string("traceparent", undefined, { env: "TRACEPARENT" }),
  string("baggage", undefined, { env: "BAGGAGE" }),
  row({
    path: "connect_tcp",
    default: undefined,
    forms: [
      { write: "127.0.0.1:61337", resolved: "127.0.0.1:61337" },
      { write: "[::1]:61337", resolved: "[::1]:61337" },
      { write: null, resolved: undefined },
    ],
    env: [{ name: "MIRRORD_CONNECT_TCP", value: "10.0.0.7:7777", resolved: "10.0.0.7:7777" }],
    envInvalid: {
      name: "MIRRORD_CONNECT_TCP",
      value: "agent:7777",
      error:
        'connect_tcp: invalid MIRRORD_CONNECT_TCP value "agent:7777": expected an address IP:PORT such as 127.0.0.1:61337 or [::1]:61337',
    },
    invalid: {
      write: "127.0.0.1",
      error:
        'connect_tcp: expected an address IP:PORT such as 127.0.0.1:61337 or [::1]:61337, got "127.0.0.1"',
    },
  }),
];

const targetRows: FieldRow[] = [
  row({
    path: "target",
    default: {},
    forms: [
      { write: "pod/api", resolved: { path: "pod/api" } },
      { write: { deployment: "api", container: "app" }, resolved: { path: "deployment/api/container/app" } },
      {
        write: { path: "deploy/api", namespace: "prod" },
        resolved: { path: "deployment/api", namespace: "prod" },
      },
      { write: { namespace: "prod" }, resolved: { namespace: "prod" } },
    ],
    invalid: {
      write: 3,
      error:
        'target: expected a target string such as "pod/x", a path object, or {"path": …, "namespace": …}, got 3',
    },
  }),
  row({
    path: "target.path",
    default: undefined,
    forms: [
      { write: "targetless", resolved: "targetless" },
      { write: "pod/api-7f9/container/app", resolved: "pod/api-7f9/container/app" },
      { write: "rollout/r", resolved: "rollout/r" },
      { write: { pod: "api-7f9" }, resolved: "pod/api-7f9" },
      { write: { cron_job: "nightly" }, resolved: "cronjob/nightly" },
      { write: { labels: { app: "api" } }, resolved: "label/app=api" },
      { write: null, resolved: undefined },
    ],
    env: [{ name: "MIRRORD_IMPERSONATED_TARGET", value: "deploy/api", resolved: "deployment/api" }],
    flags: [
      { argv: ["-t", "statefulset/db"], resolved: "statefulset/db" },
      { argv: ["--target", "targetless"], resolved: "targetless" },
    ],
    envInvalid: {
      name: "MIRRORD_IMPERSONATED_TARGET",
      value: "pod/",
      error: `target.path: invalid MIRRORD_IMPERSONATED_TARGET value "pod/": invalid target provided \`Provided target: pod/ has an empty name.\`${TARGET_FORMATS}`,
    },
    invalid: {
      write: "api",
      error: `target.path: invalid target provided \`Provided target: api is unsupported. Did you remember to add a prefix, e.g. pod/api?\`${TARGET_FORMATS}`,
    },
  }),
  string("target.namespace", undefined, {
    env: "MIRRORD_TARGET_NAMESPACE",
    flags: [{ argv: ["-n", "prod"], resolved: "prod" }],
  }),
];

const agentRows: FieldRow[] = [
  string("agent.log_level", "info", {
    env: "MIRRORD_AGENT_RUST_LOG",
    flags: [{ argv: ["-l", "debug"], resolved: "debug" }],
  }),
  bool("agent.json_log", false, { env: "MIRRORD_AGENT_JSON_LOG" }),
  string("agent.namespace", undefined, {
    env: "MIRRORD_AGENT_NAMESPACE",
    flags: [{ argv: ["-a", "mirrord"], resolved: "mirrord" }],
  }),
  row({
    path: "agent.image",
    default: IMAGE,
    coversSubfields: true,
    forms: [
      { write: "registry.local/agent:dev", resolved: "registry.local/agent:dev" },
      { write: { registry: "registry.local/agent", tag: "dev" }, resolved: "registry.local/agent:dev" },
      { write: { registry: "registry.local/agent" }, resolved: `registry.local/agent:${VERSION}` },
      { write: { tag: "dev" }, resolved: "ghcr.io/mirrord-ts/mirrord-agent:dev" },
    ],
    env: [
      { name: "MIRRORD_AGENT_IMAGE", value: "env/agent:1", resolved: "env/agent:1" },
      {
        name: "MIRRORD_AGENT_IMAGE_REGISTRY",
        value: "env/agent",
        resolved: `env/agent:${VERSION}`,
        fileWins: true,
      },
      {
        name: "MIRRORD_AGENT_IMAGE_TAG",
        value: "2",
        resolved: "ghcr.io/mirrord-ts/mirrord-agent:2",
        fileWins: true,
      },
    ],
    flags: [{ argv: ["-i", "flag/agent:3"], resolved: "flag/agent:3" }],
    invalid: {
      write: { registry: "r", tga: "1" },
      error: 'agent.image.tga: unknown field "tga" (did you mean "tag"?), expected one of: registry, tag',
    },
  }),
  string("agent.image_pull_policy", "IfNotPresent", { env: "MIRRORD_AGENT_IMAGE_PULL_POLICY" }),
  row({
    path: "agent.image_pull_secrets",
    default: undefined,
    forms: [{ write: [{ name: "regcred" }], resolved: [{ name: "regcred" }] }, ...optional(undefined)],
    invalid: { write: [{ name: 1 }], error: "agent.image_pull_secrets.0.name: expected a string, got 1" },
  }),
  integer("agent.ttl", 1, "u16", {
    env: "MIRRORD_AGENT_TTL",
    flags: [{ argv: ["--agent-ttl", "30"], resolved: 30 }],
  }),
  bool("agent.ephemeral", false, {
    env: "MIRRORD_EPHEMERAL_CONTAINER",
    flags: [{ argv: ["-e"], resolved: true }],
  }),
  integer("agent.communication_timeout", undefined, "u16", { env: "MIRRORD_AGENT_COMMUNICATION_TIMEOUT" }),
  integer("agent.startup_timeout", 60, "u64", {
    env: "MIRRORD_AGENT_STARTUP_TIMEOUT",
    flags: [{ argv: ["--agent-startup-timeout", "90"], resolved: 90 }],
  }),
  bool("agent.flush_connections", true, { env: "MIRRORD_AGENT_STEALER_FLUSH_CONNECTIONS" }),
  row({
    path: "agent.disabled_capabilities",
    default: undefined,
    forms: [
      { write: ["NET_RAW", "SYS_PTRACE"], resolved: ["NET_RAW", "SYS_PTRACE"] },
      ...optional(undefined),
    ],
    invalid: {
      write: ["SYS_ADMN"],
      error:
        'agent.disabled_capabilities.0: expected "SYS_ADMIN" | "SYS_PTRACE" | "NET_ADMIN" | "NET_RAW", got "SYS_ADMN" (did you mean "SYS_ADMIN"?)',
    },
  }),
  row({
    path: "agent.tolerations",
    default: undefined,
    forms: [
      { write: [{ operator: "Exists" }], resolved: [{ operator: "Exists" }] },
      {
        write: [{ key: "gpu", operator: "Equal", value: "yes", effect: "NoExecute", tolerationSeconds: 60 }],
        resolved: [
          { key: "gpu", operator: "Equal", value: "yes", effect: "NoExecute", tolerationSeconds: 60 },
        ],
      },
      { write: [], resolved: [] },
    ],
    invalid: {
      write: [{ tolerationSeconds: "60" }],
      error:
        'agent.tolerations.0.tolerationSeconds: expected an integer (-9007199254740991..9007199254740991), got "60"',
    },
  }),
  row({
    path: "agent.resources.requests",
    default: undefined,
    forms: [{ write: { cpu: "1m", memory: 1_048_576 }, resolved: { cpu: "1m", memory: 1_048_576 } }],
    invalid: {
      write: { cpu: true },
      error: 'agent.resources.requests.cpu: expected a quantity such as "100Mi", "1" or 0.5, got true',
    },
  }),
  row({
    path: "agent.resources.limits",
    default: undefined,
    forms: [{ write: { cpu: 1, memory: "100Mi" }, resolved: { cpu: 1, memory: "100Mi" } }],
    invalid: {
      write: "1",
      error: 'agent.resources.limits: expected an object of resource quantities, got "1"',
    },
  }),
  bool("agent.check_out_of_pods", true),
  bool("agent.privileged", false),
  bool("agent.external_ip_fix", true, { env: "MIRRORD_AGENT_EXTERNAL_IP_FIX" }),
  bool("agent.nftables", undefined),
  integer("agent.dns.timeout", undefined, "u32"),
  integer("agent.dns.attempts", undefined, "u32"),
  map("agent.labels"),
  map("agent.annotations"),
  map("agent.node_selector"),
  string("agent.service_account", undefined),
  string("agent.priority_class", undefined),
  row({
    path: "agent.metrics",
    default: undefined,
    forms: [{ write: "0.0.0.0:9000", resolved: "0.0.0.0:9000" }, ...optional(undefined)],
    invalid: {
      write: "localhost:9000",
      error:
        'agent.metrics: expected an address IP:PORT such as 127.0.0.1:61337 or [::1]:61337, got "localhost:9000"',
    },
  }),
  bool("agent.exclude_from_mesh", false, { env: "MIRRORD_AGENT_EXCLUDE_FROM_MESH" }),
  bool("agent.inject_headers", false),
  bool("agent.override_cache_control", true),
  integer("agent.max_body_buffer_size", 65_535, "u32"),
  integer("agent.max_body_buffer_timeout", 1000, "u32"),
  integer("agent.http_detection_timeout", 2, "u64", { env: "MIRRORD_AGENT_HTTP_DETECTION_TIMEOUT" }),
  row({
    path: "agent.security_context",
    default: undefined,
    coversSubfields: true,
    forms: [
      {
        write: { app_armor_profile: { type: "RuntimeDefault" } },
        resolved: { app_armor_profile: { type: "RuntimeDefault" } },
      },
      {
        write: { seccomp_profile: { type: "Localhost", localhost_profile: "profiles/agent.json" } },
        resolved: { seccomp_profile: { type: "Localhost", localhost_profile: "profiles/agent.json" } },
      },
      ...optional(undefined),
    ],
    invalid: {
      write: { seccomp_profile: {} },
      error: "agent.security_context.seccomp_profile.type: missing required field",
    },
  }),
  bool("agent.clean_iptables_on_start", undefined, { env: "MIRRORD_AGENT_CLEAN_IPTABLES_ON_START" }),
  bool("agent.disable_mesh_sidecar_injection", true),
  integer("agent.jaq_time_limit", 1, "u64"),
];

const envRows: FieldRow[] = [
  row({
    path: "feature.env",
    default: { unset: ["AWS_PROFILE"] },
    forms: [
      { write: true, resolved: { unset: ["AWS_PROFILE"] } },
      { write: false, resolved: { exclude: ["*"], unset: ["AWS_PROFILE"] } },
      { write: { include: "DB_*" }, resolved: { include: ["DB_*"], unset: ["AWS_PROFILE"] } },
    ],
    invalid: { write: "on", error: 'feature.env: expected true, false or an env object, got "on"' },
  }),
  {
    ...list("feature.env.include", undefined, {
      env: "MIRRORD_OVERRIDE_ENV_VARS_INCLUDE",
      flags: [{ argv: ["-s", "DB_*;API_KEY"], resolved: ["DB_*", "API_KEY"] }],
    }),
    // Documented: `;` separates include/exclude entries in files too.
    forms: [
      { write: "A;B*", resolved: ["A", "B*"] },
      { write: ["A", "B*"], resolved: ["A", "B*"] },
      { write: null, resolved: undefined },
    ],
  },
  {
    ...list("feature.env.exclude", undefined, {
      env: "MIRRORD_OVERRIDE_ENV_VARS_EXCLUDE",
      flags: [{ argv: ["-x", "SECRET;TOKEN"], resolved: ["SECRET", "TOKEN"] }],
    }),
    forms: [
      { write: "A;B?", resolved: ["A", "B?"] },
      { write: ["A"], resolved: ["A"] },
      { write: null, resolved: undefined },
    ],
  },
  map("feature.env.override"),
  {
    ...list("feature.env.unset", ["AWS_PROFILE"]),
    // feature.magic.aws (on by default) appends AWS_PROFILE.
    forms: [
      { write: "HOME", resolved: ["HOME", "AWS_PROFILE"] },
      { write: ["A", "B"], resolved: ["A", "B", "AWS_PROFILE"] },
    ],
  },
  bool("feature.env.load_from_process", undefined, { env: "MIRRORD_ENV_LOAD_FROM_PROCESS" }),
  string("feature.env.env_file", undefined, {
    env: "MIRRORD_OVERRIDE_ENV_VARS_FILE",
    flags: [{ argv: ["--env-file", "local.env"], resolved: "local.env" }],
  }),
  map("feature.env.mapping"),
];

const fsRows: FieldRow[] = [
  row({
    path: "feature.fs",
    default: FS_DEFAULT,
    forms: [
      { write: true, resolved: FS_DEFAULT },
      { write: false, resolved: { mode: "local", readonly_file_buffer: 128_000 } },
      {
        write: "localwithoverrides",
        resolved: { mode: "localwithoverrides", readonly_file_buffer: 128_000 },
      },
      {
        write: { mode: "write", local: "^/tmp" },
        resolved: { mode: "write", local: ["^/tmp"], readonly_file_buffer: 128_000 },
      },
    ],
    invalid: {
      write: "wrte",
      error:
        'feature.fs: expected "local" | "localwithoverrides" | "read" | "write", got "wrte" (did you mean "write"?)',
    },
  }),
  row({
    path: "feature.fs.mode",
    default: "read",
    forms: ["local", "localwithoverrides", "read", "write"].map((mode) => ({ write: mode, resolved: mode })),
    env: [
      { name: "MIRRORD_FILE_MODE", value: "write", resolved: "write" },
      { name: "MIRRORD_FILE_OPS", value: "true", resolved: "write" },
      { name: "MIRRORD_FILE_RO_OPS", value: "true", resolved: "read" },
      { name: "MIRRORD_FILE_OPS", value: "false", resolved: "local" },
    ],
    flags: [
      { argv: ["--fs-mode", "local-with-overrides"], resolved: "localwithoverrides" },
      { argv: ["--fs-mode", "write"], resolved: "write" },
    ],
    envInvalid: {
      name: "MIRRORD_FILE_MODE",
      value: "disable",
      error:
        "feature.fs.mode: Invalid FS mode `disable`! (MIRRORD_FILE_MODE accepts local, localwithoverrides, read, write)",
    },
    invalid: {
      write: "disable",
      error: 'feature.fs.mode: expected "local" | "localwithoverrides" | "read" | "write", got "disable"',
    },
  }),
  list("feature.fs.read_write", undefined, { env: "MIRRORD_FILE_READ_WRITE_PATTERN" }),
  {
    ...list("feature.fs.read_only", undefined),
    // Documented: the env var only applies when `feature.fs` is not written as an object.
    env: [{ name: "MIRRORD_FILE_READ_ONLY_PATTERN", value: "x;y", resolved: ["x", "y"], fileWins: true }],
  },
  list("feature.fs.local", undefined, { env: "MIRRORD_FILE_LOCAL_PATTERN" }),
  list("feature.fs.not_found", undefined),
  {
    ...map("feature.fs.mapping"),
    forms: [{ write: { "^/data/(.*)": "/tmp/data/$1" }, resolved: { "^/data/(.*)": "/tmp/data/$1" } }],
  },
  row({
    path: "feature.fs.readonly_file_buffer",
    default: 128_000,
    forms: [
      { write: 0, resolved: 0 },
      { write: 15 * 1024 * 1024, resolved: 15 * 1024 * 1024 },
    ],
    invalid: {
      write: 15 * 1024 * 1024 + 1,
      error:
        "feature.fs.readonly_file_buffer: the value of feature.fs.readonly_file_buffer must be 15 Megabytes or less.",
    },
  }),
];

const incomingRows: FieldRow[] = [
  row({
    path: "feature.network",
    default: {
      incoming: INCOMING_DEFAULT,
      outgoing: { tcp: true, udp: true, ignore_localhost: false },
      dns: { enabled: true },
      ipv6: true,
    },
    forms: [
      {
        write: false,
        resolved: {
          incoming: { ...INCOMING_DEFAULT, mode: "off" },
          outgoing: { tcp: false, udp: false, ignore_localhost: false },
          dns: { enabled: false },
          ipv6: true,
        },
      },
      {
        write: { ipv6: false },
        resolved: {
          incoming: INCOMING_DEFAULT,
          outgoing: { tcp: true, udp: true, ignore_localhost: false },
          dns: { enabled: true },
          ipv6: false,
        },
      },
    ],
    invalid: { write: "on", error: 'feature.network: expected true, false or a network object, got "on"' },
  }),
  bool("feature.network.ipv6", true, { env: "MIRRORD_ENABLE_IPV6" }),
  row({
    path: INCOMING,
    default: INCOMING_DEFAULT,
    forms: [
      { write: true, resolved: INCOMING_DEFAULT },
      { write: false, resolved: { ...INCOMING_DEFAULT, mode: "off" } },
      { write: "steal", resolved: { ...INCOMING_DEFAULT, mode: "steal" } },
      { write: { ignore_localhost: true }, resolved: { ...INCOMING_DEFAULT, ignore_localhost: true } },
    ],
    invalid: {
      write: 1,
      error: `${INCOMING}: expected true, false, "mirror" | "steal" | "off" or an incoming object, got 1`,
    },
  }),
  row({
    path: `${INCOMING}.mode`,
    default: "mirror",
    forms: ["mirror", "steal", "off"].map((mode) => ({ write: mode, resolved: mode })),
    env: [
      { name: "MIRRORD_AGENT_TCP_STEAL_TRAFFIC", value: "true", resolved: "steal" },
      { name: "MIRRORD_AGENT_TCP_STEAL_TRAFFIC", value: "false", resolved: "off" },
      { name: "MIRRORD_AGENT_TCP_STEAL_TRAFFIC", value: "mirror", resolved: "mirror" },
    ],
    flags: [{ argv: ["--steal"], resolved: "steal" }],
    envInvalid: {
      name: "MIRRORD_AGENT_TCP_STEAL_TRAFFIC",
      value: "yes",
      error: `${INCOMING}.mode: invalid MIRRORD_AGENT_TCP_STEAL_TRAFFIC value "yes": expected true, false, steal, mirror or off`,
    },
    invalid: {
      write: "stael",
      error: `${INCOMING}.mode: expected "mirror" | "steal" | "off", got "stael" (did you mean "steal"?)`,
    },
  }),
  row({
    path: FILTER,
    default: {},
    forms: [
      { write: true, resolved: {} },
      { write: false, resolved: {} },
      { write: { header_filter: "^x-user: me$" }, resolved: { header_filter: "^x-user: me$" } },
    ],
    invalid: { write: "x", error: `${FILTER}: expected true, false or an http_filter object, got "x"` },
  }),
  ...(["header_filter", "path_filter", "method_filter", "header_filter_jq"] as const).map((name) =>
    row({
      path: `${FILTER}.${name}`,
      default: undefined,
      forms: [{ write: "^/api(?!/health)", resolved: "^/api(?!/health)" }, ...optional(undefined)],
      env: [
        {
          name: `MIRRORD_HTTP_${name.toUpperCase()}`,
          value: "from-env",
          resolved: "from-env",
        },
      ],
      invalid: { write: "", error: `${FILTER}: HTTP filter \`${name}\` cannot be an empty string` },
    }),
  ),
  row({
    path: `${FILTER}.body_filter`,
    default: undefined,
    coversSubfields: true,
    forms: [
      {
        write: { body: "json", query: "$.user.id", matches: "^42$" },
        resolved: { body: "json", query: "$.user.id", matches: "^42$" },
      },
    ],
    invalid: {
      write: { body: "xml", query: "$", matches: "x" },
      error: `${FILTER}.body_filter.body: expected "json", got "xml"`,
    },
  }),
  ...(["all_of", "any_of"] as const).map((name) =>
    row({
      path: `${FILTER}.${name}`,
      default: undefined,
      forms: [
        {
          write: [{ header: "^x-a: 1$" }, { path: "^/v1" }, { method: "GET" }, { query: ".x" }],
          resolved: [{ header: "^x-a: 1$" }, { path: "^/v1" }, { method: "GET" }, { query: ".x" }],
        },
        {
          write: [{ body: "json", query: "$.a", matches: "b" }],
          resolved: [{ body: "json", query: "$.a", matches: "b" }],
        },
      ],
      invalid: {
        write: [],
        error: `${FILTER}.${name}: Conflicting configuration found \`Composite HTTP filter cannot be empty\``,
      },
    }),
  ),
  row({
    path: `${FILTER}.ports`,
    default: undefined,
    forms: [
      { write: 8080, resolved: [8080] },
      { write: [80, 8080], resolved: [80, 8080] },
      { write: null, resolved: undefined },
    ],
    env: [{ name: "MIRRORD_HTTP_FILTER_PORTS", value: "80;8080", resolved: [80, 8080] }],
    envInvalid: {
      name: "MIRRORD_HTTP_FILTER_PORTS",
      value: "80;http",
      error: `${FILTER}.ports: invalid MIRRORD_HTTP_FILTER_PORTS value "80;http": expected ports 1..65535`,
    },
    invalid: { write: 0, error: `${FILTER}.ports: expected a port (1..65535), got 0` },
  }),
  portPairs(`${INCOMING}.port_mapping`),
  portPairs(`${INCOMING}.listen_ports`),
  bool(`${INCOMING}.ignore_localhost`, false),
  ports(`${INCOMING}.ignore_ports`),
  ports(`${INCOMING}.ports`),
  row({
    path: `${INCOMING}.on_concurrent_steal`,
    default: "abort",
    forms: ["abort", "continue", "override"].map((value) => ({ write: value, resolved: value })),
    env: [{ name: "MIRRORD_OPERATOR_ON_CONCURRENT_STEAL", value: "override", resolved: "override" }],
    envInvalid: {
      name: "MIRRORD_OPERATOR_ON_CONCURRENT_STEAL",
      value: "steal",
      error: `${INCOMING}.on_concurrent_steal: invalid MIRRORD_OPERATOR_ON_CONCURRENT_STEAL value "steal": expected abort, continue or override`,
    },
    invalid: {
      write: "abrt",
      error: `${INCOMING}.on_concurrent_steal: expected "abort" | "continue" | "override", got "abrt" (did you mean "abort"?)`,
    },
  }),
  row({
    path: `${INCOMING}.tls_delivery.protocol`,
    default: "tls",
    context: TLS,
    forms: [
      { write: "tls", resolved: "tls" },
      { write: "tcp", resolved: "tcp" },
    ],
    invalid: { write: "udp", error: `${INCOMING}.tls_delivery.protocol: expected "tls" | "tcp", got "udp"` },
  }),
  {
    ...strings(`${INCOMING}.tls_delivery.trust_roots`, undefined, { context: TLS }),
    forms: [{ write: ["/etc/ssl/root.pem"], resolved: ["/etc/ssl/root.pem"] }],
    invalid: { write: [], error: `${INCOMING}.tls_delivery.trust_roots: cannot be an empty list` },
  },
  string(`${INCOMING}.tls_delivery.server_name`, undefined, { context: TLS }),
  string(`${INCOMING}.tls_delivery.server_cert`, undefined, { context: TLS }),
  row({
    path: `${INCOMING}.https_delivery`,
    default: undefined,
    coversSubfields: true,
    forms: [
      { write: { protocol: "tcp" }, resolved: { protocol: "tcp" } },
      { write: { trust_roots: ["/ca.pem"] }, resolved: { protocol: "tls", trust_roots: ["/ca.pem"] } },
    ],
    invalid: {
      write: { protocol: "tls", trust_roots: [] },
      error: `${INCOMING}.https_delivery.trust_roots: cannot be an empty list`,
    },
  }),
];

const outgoingRows: FieldRow[] = [
  row({
    path: OUTGOING,
    default: { tcp: true, udp: true, ignore_localhost: false },
    forms: [
      { write: true, resolved: { tcp: true, udp: true, ignore_localhost: false } },
      { write: false, resolved: { tcp: false, udp: false, ignore_localhost: false } },
      { write: { udp: false }, resolved: { tcp: true, udp: false, ignore_localhost: false } },
    ],
    invalid: { write: "on", error: `${OUTGOING}: expected true, false or an outgoing object, got "on"` },
  }),
  bool(`${OUTGOING}.tcp`, true, {
    env: "MIRRORD_TCP_OUTGOING",
    flags: [
      { argv: ["--no-tcp-outgoing"], resolved: false },
      { argv: ["--no-outgoing"], resolved: false },
      { argv: ["--no-udp-outgoing"], resolved: true },
    ],
  }),
  bool(`${OUTGOING}.udp`, true, {
    env: "MIRRORD_UDP_OUTGOING",
    flags: [
      { argv: ["--no-udp-outgoing"], resolved: false },
      { argv: ["--no-outgoing"], resolved: false },
    ],
  }),
  bool(`${OUTGOING}.ignore_localhost`, false),
  row({
    path: `${OUTGOING}.filter`,
    default: undefined,
    forms: [
      {
        write: { remote: ["tcp://10.0.0.0/8:5432", "[::1]:80", ":53"] },
        resolved: { remote: ["tcp://10.0.0.0/8:5432", "[::1]:80", ":53"] },
      },
      { write: { local: "localhost" }, resolved: { local: ["localhost"] } },
    ],
    invalid: {
      write: { remote: ["db:postgres"] },
      error: `${OUTGOING}.filter: invalid ${OUTGOING}.filter value \`db:postgres\`: port "postgres" is not a number 0..65535`,
    },
  }),
  list(`${OUTGOING}.unix_streams`, undefined, { env: "MIRRORD_OUTGOING_REMOTE_UNIX_STREAMS" }),
  row({
    path: DNS,
    default: { enabled: true },
    forms: [
      { write: true, resolved: { enabled: true } },
      { write: false, resolved: { enabled: false } },
      {
        write: { filter: { local: ["localhost"] } },
        resolved: { enabled: true, filter: { local: ["localhost"] } },
      },
    ],
    invalid: { write: 0, error: `${DNS}: expected true, false or a dns object, got 0` },
  }),
  bool(`${DNS}.enabled`, true, {
    env: "MIRRORD_REMOTE_DNS",
    flags: [{ argv: ["--no-remote-dns"], resolved: false }],
  }),
  row({
    path: `${DNS}.filter`,
    default: undefined,
    forms: [
      { write: { remote: "db.internal:5432" }, resolved: { remote: ["db.internal:5432"] } },
      { write: { local: ["10.0.0.0/8", "example.com"] }, resolved: { local: ["10.0.0.0/8", "example.com"] } },
    ],
    invalid: {
      write: { remote: ["a"], local: ["b"] },
      error: `${DNS}.filter: expected an object with exactly one of "remote" or "local", got Object`,
    },
  }),
];

const COPY_OFF = { enabled: false, scale_down: false };

const featureRows: FieldRow[] = [
  row({
    path: "feature.copy_target",
    default: COPY_OFF,
    forms: [
      { write: true, resolved: { enabled: true, scale_down: false } },
      { write: false, resolved: COPY_OFF },
      { write: { scale_down: true }, resolved: { enabled: true, scale_down: true } },
    ],
    invalid: {
      write: "yes",
      error: 'feature.copy_target: expected true, false or a copy_target object, got "yes"',
    },
  }),
  bool("feature.copy_target.enabled", false),
  bool("feature.copy_target.scale_down", false),
  strings("feature.copy_target.exclude_containers", undefined),
  strings("feature.copy_target.exclude_init_containers", undefined),
  bool("feature.hostname", true),
  row({
    path: "feature.split_queues",
    default: undefined,
    forms: [
      {
        write: { orders: { queue_type: "SQS", message_filter: { author: "^me$" } } },
        resolved: { orders: { queue_type: "SQS", message_filter: { author: "^me$" } } },
      },
      {
        write: [{ queue_id: "events", queue_type: "Kafka", jq_filter: ".a" }],
        resolved: { events: { queue_type: "Kafka", jq_filter: ".a" } },
      },
    ],
    invalid: {
      write: { orders: { queue_type: "sqs" } },
      error:
        'feature.split_queues.orders.queue_type: expected "SQS" | "Kafka" | "RMQ" | "GCPPubSub" | "RedisPubSub" | "AzureServiceBus" | "Temporal" | "BullMQ", got "sqs" (did you mean "SQS"?)',
    },
  }),
  row({
    path: "feature.db_branches",
    default: undefined,
    forms: [
      {
        write: [{ type: "pg", connection: { url: { type: "env", variable: "DB_URL" } }, ttl_secs: 60 }],
        resolved: [{ type: "pg", connection: { url: { type: "env", variable: "DB_URL" } }, ttl_secs: 60 }],
      },
    ],
    invalid: {
      write: [{ type: "mysql", image: "mysql:8", version: "8" }],
      error: "feature.db_branches.0: use either image or version, not both",
    },
  }),
  bool("feature.magic.aws", true),
  bool("feature.magic.auto_mount", true),
  bool("feature.magic.turbo", true),
];

function ttl(path: string, env: string): FieldRow {
  return row({
    path,
    default: undefined,
    context: PREVIEW,
    forms: [
      { write: 30, resolved: 30 },
      { write: "infinite", resolved: "infinite" },
    ],
    env: [
      { name: env, value: "15", resolved: 15 },
      { name: env, value: "infinite", resolved: "infinite" },
    ],
    invalid: { write: "forever", error: `${path}: expected a number or "infinite", got "forever"` },
  });
}

function mounts(path: string): FieldRow {
  return row({
    path,
    default: undefined,
    context: PREVIEW,
    forms: [
      {
        write: [
          { mount_at: "/etc/app/config.yaml", type: "text", payload: "a: 1" },
          { mount_at: "/k", from_file: "./k" },
        ],
        resolved: [
          { mount_at: "/etc/app/config.yaml", type: "text", payload: "a: 1" },
          { mount_at: "/k", from_file: "./k" },
        ],
      },
    ],
    invalid: { write: [{ mount_at: "/a" }], error: `${path}.0: give exactly one of payload or from_file` },
  });
}

const previewRows: FieldRow[] = [
  string("feature.preview.image", undefined, { env: "MIRRORD_PREVIEW_IMAGE", context: PREVIEW }),
  ttl("feature.preview.ttl_mins", "MIRRORD_PREVIEW_TTL_MINS"),
  ttl("feature.preview.ttl_secs", "MIRRORD_PREVIEW_TTL_SECS"),
  integer("feature.preview.creation_timeout_secs", 60, "u64", {
    env: "MIRRORD_PREVIEW_CREATION_TIMEOUT_SECS",
    context: PREVIEW,
  }),
  row({
    path: "feature.preview.replicas",
    default: 1,
    context: PREVIEW,
    forms: [
      { write: 0, resolved: 0 },
      { write: 3, resolved: 3 },
    ],
    env: [{ name: "MIRRORD_PREVIEW_REPLICAS", value: "2", resolved: 2 }],
    invalid: { write: -1, error: "feature.preview.replicas: replicas must be 0 or more" },
  }),
  list("feature.preview.labels.include", undefined, { context: { feature: { preview: { labels: {} } } } }),
  list("feature.preview.labels.exclude", undefined, { context: { feature: { preview: { labels: {} } } } }),
  bool("feature.preview.idle.start_idle", false, {
    env: "MIRRORD_PREVIEW_START_IDLE",
    context: { feature: { preview: { idle: {} } } },
  }),
  row({
    path: "feature.preview.idle.sleep_after_secs",
    default: undefined,
    context: { feature: { preview: { idle: {} } } },
    forms: [{ write: 30, resolved: 30 }, ...optional(undefined)],
    env: [{ name: "MIRRORD_PREVIEW_IDLE_SLEEP_AFTER_SECS", value: "600", resolved: 600 }],
    invalid: {
      write: 29,
      error: "feature.preview.idle.sleep_after_secs: sleep_after_secs must be at least 30",
    },
  }),
  row({
    path: "feature.preview.idle.wake_timeout_secs",
    default: undefined,
    context: { feature: { preview: { idle: {} } } },
    forms: [{ write: 1, resolved: 1 }, ...optional(undefined)],
    env: [{ name: "MIRRORD_PREVIEW_IDLE_WAKE_TIMEOUT_SECS", value: "20", resolved: 20 }],
    invalid: { write: 0, error: "feature.preview.idle.wake_timeout_secs: wake_timeout_secs must not be 0" },
  }),
  mounts("feature.preview.config_mounts"),
  mounts("feature.preview.secret_mounts"),
];

const sectionRows: FieldRow[] = [
  string("container.cli_image", `ghcr.io/metalbear-co/mirrord-cli:${VERSION}`),
  strings("container.cli_extra_args", []),
  bool("container.cli_prevent_cleanup", false),
  string("container.cli_image_lib_path", undefined),
  string("container.override_host_ip", undefined),
  bool("container.host_gateway_detection", true),
  string("container.cli_tls_path", "/opt/mirrord/tls/mirrord-tls.pem"),
  string("container.platform", undefined),
  integer("internal_proxy.start_idle_timeout", 60, "u64"),
  integer("internal_proxy.idle_timeout", 5, "u64"),
  integer("internal_proxy.socket_timeout", 31_536_000, "u64"),
  {
    ...integer("internal_proxy.ping_interval", 30, "u64"),
    forms: [{ write: 1, resolved: 1 }],
    invalid: { write: 0, error: "internal_proxy.ping_interval: must be at least 1 second" },
  },
  string("internal_proxy.log_level", "mirrord=info,warn"),
  string("internal_proxy.log_destination", undefined),
  bool("internal_proxy.json_log", true),
  integer("internal_proxy.process_logging_interval", 60, "u64"),
  bool("external_proxy.tls_enable", true),
  integer("external_proxy.start_idle_timeout", 60, "u64"),
  integer("external_proxy.idle_timeout", 5, "u64"),
  string("external_proxy.log_level", "mirrord=info,warn"),
  string("external_proxy.log_destination", undefined),
  bool("external_proxy.json_log", true),
  string("external_proxy.host_ip", undefined),
  bool("experimental.tcp_ping4_mock", true),
  bool("experimental.trust_any_certificate", false),
  bool("experimental.enable_exec_hooks_linux", true),
  bool("experimental.hide_ipv6_interfaces", false),
  bool("experimental.disable_reuseaddr", undefined),
  bool("experimental.use_dev_null", true),
  integer("experimental.idle_local_http_connection_timeout", 3000, "u64"),
  bool("experimental.ignore_system_proxy_config", false),
  bool("experimental.browser_extension_config", false),
  string("experimental.sip_log_destination", undefined),
  bool("experimental.non_blocking_tcp_connect", true),
  bool("experimental.dlopen_cgo", false),
  integer("experimental.latency.transmit_delay", 0, "u64"),
  integer("experimental.latency.receive_delay", 0, "u64"),
  row({
    path: "experimental.applev",
    default: undefined,
    forms: [{ write: { stack_guard: 1 }, resolved: { stack_guard: 1 } }, ...optional(undefined)],
    invalid: { write: 3, error: "experimental.applev: expected an object, got 3" },
  }),
  bool("experimental.sip_utils", true),
  bool("experimental.go_asmcgocall", undefined),
  bool("experimental.guard_std_fds", undefined),
  {
    ...integer("startup_retry.min_ms", 500, "u64"),
    forms: [
      { write: 0, resolved: 0 },
      { write: 5000, resolved: 5000 },
    ],
    invalid: { write: 5001, error: "startup_retry.min_ms: must not exceed startup_retry.max_ms (5000)" },
  },
  {
    ...integer("startup_retry.max_ms", 5000, "u64"),
    forms: [
      { write: 500, resolved: 500 },
      { write: Number.MAX_SAFE_INTEGER, resolved: Number.MAX_SAFE_INTEGER },
    ],
  },
  integer("startup_retry.max_retries", 2, "u64"),
  string("ci.output_dir", undefined),
];

export const FIELD_ROWS: readonly FieldRow[] = [
  ...rootRows,
  ...targetRows,
  ...agentRows,
  ...envRows,
  ...fsRows,
  ...incomingRows,
  ...outgoingRows,
  ...featureRows,
  ...previewRows,
  ...sectionRows,
];
