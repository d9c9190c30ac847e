/**
 * Environment variables that set config fields. They beat the file (and CLI flags arrive here as
 * env overrides, so flags beat both). Applied to the resolved config, after shorthands are expanded,
 * which is why a `false` section is still re-enabled by its env var.
 */
import * as v from "valibot";
import { ConfigError } from "./errors.ts";
import { FS_MODES, type FsMode } from "./feature/fs.ts";
import { previewSchema } from "./feature/preview.ts";
import type { ResolvedConfig } from "./root.ts";
import { isSocketAddress, port, SOCKET_ADDRESS_EXPECTED, u16, u64 } from "./schema-kit.ts";
import { formatTarget, parseTargetString, TargetSyntaxError } from "./target-path.ts";

export type Env = Readonly<Record<string, string | undefined>>;

type Parse = (raw: string, name: string) => unknown;

function fail(name: string, raw: string, expected: string): never {
  throw new ConfigError(`invalid ${name} value "${raw}": ${expected}`);
}

const asString: Parse = (raw) => raw;
const asList: Parse = (raw) => raw.split(";").filter((item) => item !== "");
const asBool: Parse = (raw, name) =>
  raw === "true"
    ? true
    : raw === "false"
      ? false
      : fail(name, raw, "provided string was not `true` or `false`");

function asInteger(schema: v.GenericSchema<unknown, number>, what: string): Parse {
  return (raw, name) => {
    const result = /^\d+$/.test(raw) ? v.safeParse(schema, Number(raw)) : undefined;
    return result?.success ? result.output : fail(name, raw, `expected ${what}`);
  };
}
const asU16 = asInteger(u16, "an integer 0..65535");
const asU64 = asInteger(u64, "a non-negative integer");
const asI32 = asInteger(v.pipe(v.number(), v.integer()), "an integer");
const asPort = asInteger(port, "ports 1..65535");
const asPorts: Parse = (raw, name) =>
  (asList(raw, name) as string[]).map((item) => {
    try {
      return asPort(item, name);
    } catch {
      return fail(name, raw, "expected ports 1..65535");
    }
  });
const asTtl: Parse = (raw, name) => (raw === "infinite" ? raw : asU64(raw, name));

const asSocketAddress: Parse = (raw, name) =>
  isSocketAddress(raw) ? raw : fail(name, raw, `expected ${SOCKET_ADDRESS_EXPECTED}`);

const asTarget: Parse = (raw, name) => {
  try {
    return formatTarget(parseTargetString(raw));
  } catch (error) {
    if (error instanceof TargetSyntaxError) fail(name, raw, error.message);
    throw error;
  }
};

const asFsMode: Parse = (raw) => {
  if ((FS_MODES as readonly string[]).includes(raw)) return raw;
  throw new ConfigError(`Invalid FS mode \`${raw}\`! (MIRRORD_FILE_MODE accepts ${FS_MODES.join(", ")})`);
};

const asIncomingMode: Parse = (raw, name) => {
  const modes: Record<string, string> = {
    true: "steal",
    false: "off",
    steal: "steal",
    mirror: "mirror",
    off: "off",
  };
  return modes[raw] ?? fail(name, raw, "expected true, false, steal, mirror or off");
};

const asConcurrentSteal: Parse = (raw, name) =>
  ["abort", "continue", "override"].includes(raw)
    ? raw
    : fail(name, raw, "expected abort, continue or override");

interface EnvRule {
  env: string;
  path: string;
  parse: Parse;
}

const rule = (env: string, path: string, parse: Parse): EnvRule => ({ env, path, parse });

/** Every env var that sets a field, in the order they are applied. */
export const ENV_RULES: readonly EnvRule[] = [
  rule("MIRRORD_ACCEPT_INVALID_CERTIFICATES", "accept_invalid_certificates", asBool),
  rule("MIRRORD_SKIP_PROCESSES", "skip_processes", asList),
  rule("MIRRORD_SKIP_BUILD_TOOLS", "skip_build_tools", asBool),
  rule("MIRRORD_SKIP_EXTRA_BUILD_TOOLS", "skip_extra_build_tools", asList),
  rule("MIRRORD_OPERATOR_ENABLE", "operator", asBool),
  rule("MIRRORD_MULTI_CLUSTER", "multi_cluster", asBool),
  rule("MIRRORD_API", "api", asBool),
  rule("MIRRORD_KUBECONFIG", "kubeconfig", asString),
  rule("MIRRORD_TELEMETRY", "telemetry", asBool),
  rule("MIRRORD_KUBE_CONTEXT", "kube_context", asString),
  rule("MIRRORD_PROXY", "use_proxy", asBool),
  rule("MIRRORD_SKIP_SIP", "skip_sip", asList),
  rule("MIRRORD_KEY", "key", asString),
  rule("TRACEPARENT", "traceparent", asString),
  rule("BAGGAGE", "baggage", asString),
  rule("MIRRORD_CONNECT_TCP", "connect_tcp", asSocketAddress),
  rule("MIRRORD_IMPERSONATED_TARGET", "target.path", asTarget),
  rule("MIRRORD_TARGET_NAMESPACE", "target.namespace", asString),
  rule("MIRRORD_AGENT_RUST_LOG", "agent.log_level", asString),
  rule("MIRRORD_AGENT_JSON_LOG", "agent.json_log", asBool),
  rule("MIRRORD_AGENT_NAMESPACE", "agent.namespace", asString),
  rule("MIRRORD_AGENT_IMAGE", "agent.image", asString),
  rule("MIRRORD_AGENT_IMAGE_PULL_POLICY", "agent.image_pull_policy", asString),
  rule("MIRRORD_AGENT_TTL", "agent.ttl", asU16),
  rule("MIRRORD_EPHEMERAL_CONTAINER", "agent.ephemeral", asBool),
  rule("MIRRORD_AGENT_COMMUNICATION_TIMEOUT", "agent.communication_timeout", asU16),
  rule("MIRRORD_AGENT_STARTUP_TIMEOUT", "agent.startup_timeout", asU64),
  rule("MIRRORD_AGENT_STEALER_FLUSH_CONNECTIONS", "agent.flush_connections", asBool),
  rule("MIRRORD_AGENT_EXTERNAL_IP_FIX", "agent.external_ip_fix", asBool),
  rule("MIRRORD_AGENT_EXCLUDE_FROM_MESH", "agent.exclude_from_mesh", asBool),
  rule("MIRRORD_AGENT_HTTP_DETECTION_TIMEOUT", "agent.http_detection_timeout", asU64),
  rule("MIRRORD_AGENT_CLEAN_IPTABLES_ON_START", "agent.clean_iptables_on_start", asBool),
  rule("MIRRORD_OVERRIDE_ENV_VARS_INCLUDE", "feature.env.include", asList),
  rule("MIRRORD_OVERRIDE_ENV_VARS_EXCLUDE", "feature.env.exclude", asList),
  rule("MIRRORD_OVERRIDE_ENV_VARS_FILE", "feature.env.env_file", asString),
  rule("MIRRORD_ENV_LOAD_FROM_PROCESS", "feature.env.load_from_process", asBool),
  rule("MIRRORD_FILE_READ_WRITE_PATTERN", "feature.fs.read_write", asList),
  rule("MIRRORD_FILE_LOCAL_PATTERN", "feature.fs.local", asList),
  rule("MIRRORD_ENABLE_IPV6", "feature.network.ipv6", asBool),
  rule("MIRRORD_AGENT_TCP_STEAL_TRAFFIC", "feature.network.incoming.mode", asIncomingMode),
  rule(
    "MIRRORD_OPERATOR_ON_CONCURRENT_STEAL",
    "feature.network.incoming.on_concurrent_steal",
    asConcurrentSteal,
  ),
  rule("MIRRORD_HTTP_HEADER_FILTER", "feature.network.incoming.http_filter.header_filter", asString),
  rule("MIRRORD_HTTP_PATH_FILTER", "feature.network.incoming.http_filter.path_filter", asString),
  rule("MIRRORD_HTTP_METHOD_FILTER", "feature.network.incoming.http_filter.method_filter", asString),
  rule("MIRRORD_HTTP_HEADER_FILTER_JQ", "feature.network.incoming.http_filter.header_filter_jq", asString),
  rule("MIRRORD_HTTP_FILTER_PORTS", "feature.network.incoming.http_filter.ports", asPorts),
  rule("MIRRORD_TCP_OUTGOING", "feature.network.outgoing.tcp", asBool),
  rule("MIRRORD_UDP_OUTGOING", "feature.network.outgoing.udp", asBool),
  rule("MIRRORD_OUTGOING_REMOTE_UNIX_STREAMS", "feature.network.outgoing.unix_streams", asList),
  rule("MIRRORD_REMOTE_DNS", "feature.network.dns.enabled", asBool),
];

/** Preview env vars; they create `feature.preview` when it is absent. */
export const PREVIEW_ENV_RULES: readonly EnvRule[] = [
  rule("MIRRORD_PREVIEW_IMAGE", "feature.preview.image", asString),
  rule("MIRRORD_PREVIEW_TTL_MINS", "feature.preview.ttl_mins", asTtl),
  rule("MIRRORD_PREVIEW_TTL_SECS", "feature.preview.ttl_secs", asTtl),
  rule("MIRRORD_PREVIEW_CREATION_TIMEOUT_SECS", "feature.preview.creation_timeout_secs", asU64),
  rule("MIRRORD_PREVIEW_REPLICAS", "feature.preview.replicas", asI32),
  rule("MIRRORD_PREVIEW_START_IDLE", "feature.preview.idle.start_idle", asBool),
  rule("MIRRORD_PREVIEW_IDLE_SLEEP_AFTER_SECS", "feature.preview.idle.sleep_after_secs", asU64),
  rule("MIRRORD_PREVIEW_IDLE_WAKE_TIMEOUT_SECS", "feature.preview.idle.wake_timeout_secs", asU64),
];

/** Env vars for `feature.fs.mode`, strongest first; the legacy pair only counts without MIRRORD_FILE_MODE. */
function fsModeFromEnv(env: Env): FsMode | undefined {
  const mode = env.MIRRORD_FILE_MODE;
  if (mode !== undefined) return asFsMode(mode, "MIRRORD_FILE_MODE") as FsMode;
  const ops =
    env.MIRRORD_FILE_OPS === undefined ? undefined : asBool(env.MIRRORD_FILE_OPS, "MIRRORD_FILE_OPS");
  const readOnly =
    env.MIRRORD_FILE_RO_OPS === undefined
      ? undefined
      : asBool(env.MIRRORD_FILE_RO_OPS, "MIRRORD_FILE_RO_OPS");
  if (ops === true) return "write";
  if (readOnly === true) return "read";
  if (ops === false || readOnly === false) return "local";
  return undefined;
}

function setPath(config: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  const last = keys.pop() ?? "";
  let node = config;
  for (const key of keys) {
    const next = node[key];
    if (typeof next !== "object" || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[last] = value;
}

/** Runs `parse`, prefixing a ConfigError with the field path it was for. */
function withPath<T>(path: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`${path}: ${error.message}`, { path });
    throw error;
  }
}

function applyRule(config: ResolvedConfig, env: Env, { env: name, path, parse }: EnvRule): void {
  const raw = env[name];
  if (raw === undefined) return;
  const value = withPath(path, () => parse(raw, name));
  setPath(config as unknown as Record<string, unknown>, path, value);
}

export interface EnvOverrideOptions {
  /** The file wrote `feature.fs` as an object: MIRRORD_FILE_READ_ONLY_PATTERN then does not apply. */
  fsWrittenAsObject: boolean;
}

/** Applies every env override to `config` in place. */
export function applyEnvOverrides(config: ResolvedConfig, env: Env, options: EnvOverrideOptions): void {
  for (const entry of ENV_RULES) applyRule(config, env, entry);
  const mode = withPath("feature.fs.mode", () => fsModeFromEnv(env));
  if (mode !== undefined) config.feature.fs.mode = mode;
  if (!options.fsWrittenAsObject) {
    applyRule(config, env, rule("MIRRORD_FILE_READ_ONLY_PATTERN", "feature.fs.read_only", asList));
  }
  const previewSet = PREVIEW_ENV_RULES.some((entry) => env[entry.env] !== undefined);
  if (previewSet && config.feature.preview === undefined) config.feature.preview = v.parse(previewSchema, {});
  for (const entry of PREVIEW_ENV_RULES) applyRule(config, env, entry);
}

/**
 * MIRRORD_AGENT_IMAGE_REGISTRY / _TAG only fill what the file leaves out, so they act on the
 * raw file value before its shorthand is resolved.
 */
export function applyImagePartsEnv(raw: unknown, env: Env): unknown {
  const registry = env.MIRRORD_AGENT_IMAGE_REGISTRY;
  const tag = env.MIRRORD_AGENT_IMAGE_TAG;
  if ((registry === undefined && tag === undefined) || typeof raw !== "object" || raw === null) return raw;
  const root = raw as Record<string, unknown>;
  const agent = root.agent ?? {};
  if (typeof agent !== "object" || agent === null || Array.isArray(agent)) return raw;
  const image = (agent as Record<string, unknown>).image ?? {};
  if (typeof image !== "object" || image === null || Array.isArray(image)) return raw;
  const parts = image as Record<string, unknown>;
  const filled = {
    ...(registry === undefined ? {} : { registry }),
    ...(tag === undefined ? {} : { tag }),
    ...parts,
  };
  return { ...root, agent: { ...agent, image: filled } };
}
