/**
 * Checks across fields that a per-field schema cannot see (conflicts the docs forbid), and the
 * warnings for risky settings. Runs on the resolved config, after env overrides.
 */
import { dnsFilterProblem, outgoingFilterProblem } from "./address-filter.ts";
import { ConfigError } from "./errors.ts";
import type { HttpFilterConfig } from "./feature/network/http-filter.ts";
import type { ResolvedConfig } from "./root.ts";
import { OPERATOR_TARGET_KINDS, type TargetKind } from "./target-path.ts";

/**
 * Regex checkers injected by the caller (mirrord compiles every config regex with fancy-regex; the
 * engine lives in src/filters). Each returns the engine's complaint, or undefined for a valid pattern.
 */
export interface RegexValidators {
  /** HTTP filter regexes (header, path, body `matches`), compiled case-insensitively as the agent does. */
  httpFilter?(pattern: string): string | undefined;
  /** Every other regex: fs patterns and mapping keys, env.mapping keys, unix_streams, queue message filters. */
  pattern?(pattern: string): string | undefined;
}

export interface VerifyOptions {
  /** An absent target counts as targetless (verify-config without --ide). */
  targetlessWhenAbsent: boolean;
  validators?: RegexValidators;
}

export interface Verification {
  errors: ConfigError[];
  warnings: string[];
}

const MIB = 1024 * 1024;

export function targetKindOf(path: string | undefined): TargetKind | "targetless" | undefined {
  if (path === undefined) return undefined;
  return path.split("/")[0] as TargetKind | "targetless";
}

export function verifyConfig(config: ResolvedConfig, options: VerifyOptions): Verification {
  const errors: ConfigError[] = [];
  const warnings: string[] = [];
  const conflict = (path: string, message: string) =>
    errors.push(new ConfigError(`${path}: Conflicting configuration found \`${message}\``, { path }));
  const invalid = (path: string, message: string) =>
    errors.push(new ConfigError(`${path}: ${message}`, { path }));

  const { feature, agent, target } = config;
  const incoming = feature.network.incoming;
  const kind = targetKindOf(target.path);
  const targetless = kind === "targetless" || (kind === undefined && options.targetlessWhenAbsent);
  const copyTarget = feature.copy_target.enabled;

  if (kind === "label") {
    if (copyTarget)
      conflict("feature.copy_target", "The copy target feature is not yet supported with label targets.");
    if (config.multi_cluster === true) {
      conflict(
        "multi_cluster",
        "Label targets are not yet supported in multi-cluster sessions. Set `multi_cluster = false` to use the primary cluster only.",
      );
    }
    if (feature.split_queues)
      conflict("feature.split_queues", "Queue splitting is not yet supported with label targets.");
    if (feature.db_branches)
      conflict("feature.db_branches", "Database branching is not yet supported with label targets.");
  }

  verifyHttpFilter(incoming.http_filter, conflict, invalid, options.validators);

  if ((incoming.ignore_ports?.length ?? 0) > 0 && incoming.ports !== undefined) {
    conflict(
      "feature.network.incoming",
      "Cannot use both `incoming.ignore_ports` and `incoming.ports` at the same time",
    );
  }
  checkOneToOne("feature.network.incoming.port_mapping", incoming.port_mapping, invalid);
  checkOneToOne("feature.network.incoming.listen_ports", incoming.listen_ports, invalid);
  for (const [local, remote] of incoming.port_mapping ?? []) {
    if (local === remote)
      warnings.push(
        `feature.network.incoming.port_mapping maps port ${local} to itself; the entry has no effect.`,
      );
  }

  if (incoming.https_delivery !== undefined) {
    warnings.push(
      "`feature.network.incoming.https_delivery` is deprecated, use `feature.network.incoming.tls_delivery` instead.",
    );
    if (incoming.tls_delivery !== undefined) {
      conflict("feature.network.incoming", "Cannot use both `https_delivery` and `tls_delivery`");
    }
  }
  const tlsField = incoming.tls_delivery === undefined ? "https_delivery" : "tls_delivery";
  const tls = incoming[tlsField];
  if (tls !== undefined && tls.protocol === "tls") {
    const at = `feature.network.incoming.${tlsField}`;
    if (tls.trust_roots !== undefined && tls.server_cert !== undefined) {
      conflict(at, "Cannot use both `trust_roots` and `server_cert`");
    }
    if (tls.trust_roots?.length === 0) invalid(`${at}.trust_roots`, "cannot be an empty list");
    if (tls.server_name !== undefined && !/^[A-Za-z0-9.:-]+$/.test(tls.server_name)) {
      invalid(`${at}.server_name`, "must be a valid DNS name or an IP address");
    }
  }

  if (targetless) {
    if (incoming.mode === "steal") {
      conflict(
        "feature.network.incoming.mode",
        "Steal mode is not compatible with a targetless agent, please either disable this option or specify a target.",
      );
    }
    if (agent.ephemeral) {
      conflict(
        "agent.ephemeral",
        "Using an ephemeral container for the agent is not compatible with a targetless agent, please either disable this option or specify a target.",
      );
    }
  }

  if (copyTarget) {
    if (config.operator === false) {
      conflict(
        "feature.copy_target",
        "The copy target feature requires a mirrord operator, please either disable this option or use the operator.",
      );
    }
    if (targetless) {
      conflict(
        "feature.copy_target",
        "The copy target feature is not compatible with a targetless agent, please either disable this option or specify a target.",
      );
    }
    if (kind === "service") {
      conflict(
        "feature.copy_target",
        "The copy target feature is not yet supported with service targets, please either disable this option or specify another target.",
      );
    }
    if (incoming.mode !== "steal") {
      warnings.push(
        "copy_target is used without steal mode: responses from the copied pod are not delivered anywhere, your app only sees a copy of the traffic.",
      );
    }
  }

  if (
    kind !== undefined &&
    kind !== "targetless" &&
    OPERATOR_TARGET_KINDS.includes(kind) &&
    config.operator === false
  ) {
    conflict(
      "target.path",
      "Target type requires the mirrord-operator, but operator usage was explicitly disabled. Consider enabling mirrord-operator in your mirrord config.",
    );
  }

  if (feature.env.include !== undefined && feature.env.exclude !== undefined) {
    conflict("feature.env", "cannot use both `include` and `exclude` filters for environment variables");
  }

  const outgoing = feature.network.outgoing;
  const dns = feature.network.dns;
  for (const entry of Object.values(outgoing.filter ?? {}).flat()) {
    const problem = outgoingFilterProblem(entry);
    if (problem)
      invalid(
        "feature.network.outgoing.filter",
        `invalid feature.network.outgoing.filter value \`${entry}\`: ${problem}`,
      );
  }
  for (const entry of Object.values(dns.filter ?? {}).flat()) {
    const problem = dnsFilterProblem(entry);
    if (problem)
      invalid(
        "feature.network.dns.filter",
        `invalid feature.network.dns.filter value \`${entry}\`: ${problem}`,
      );
  }
  if (outgoing.filter && "remote" in outgoing.filter && !dns.enabled) {
    warnings.push(
      "The outgoing filter is `remote` but remote DNS is disabled: host names in the filter will be resolved locally. Consider enabling feature.network.dns.",
    );
  }
  if (dns.filter !== undefined) {
    if (!dns.enabled) warnings.push("Remote DNS resolution is disabled, provided DNS filter will be ignored");
    else if ("local" in dns.filter && dns.filter.local.length === 0) {
      warnings.push("Local DNS filter is empty, all DNS resolution will be done remotely");
    } else if ("remote" in dns.filter && dns.filter.remote.length === 0) {
      warnings.push("Remote DNS filter is empty, all DNS resolution will be done locally");
    }
  }

  const buffer = feature.fs.readonly_file_buffer;
  if (buffer > 15 * MIB) {
    invalid(
      "feature.fs.readonly_file_buffer",
      "the value of feature.fs.readonly_file_buffer must be 15 Megabytes or less.",
    );
  } else if (buffer > MIB) {
    warnings.push(
      "feature.fs.readonly_file_buffer is above 1 Megabyte; large buffers can make remote reads time out.",
    );
  }

  const retry = config.startup_retry;
  if (retry.max_ms === 0) invalid("startup_retry.max_ms", "must be greater than 0");
  if (retry.min_ms > retry.max_ms)
    invalid("startup_retry.min_ms", `must not exceed startup_retry.max_ms (${retry.max_ms})`);
  if (config.internal_proxy.ping_interval < 1)
    invalid("internal_proxy.ping_interval", "must be at least 1 second");

  if (agent.namespace !== undefined) {
    if (agent.ephemeral)
      warnings.push("Agent namespace is ignored when using an ephemeral container for the agent.");
    else if (targetless) {
      warnings.push(
        "Agent namespace is ignored in targetless runs. To specify a namespace for a targetless run, use target namespace.",
      );
    }
  }
  for (const [field, value] of [
    ["skip_processes", config.skip_processes],
    ["sip_binaries", config.sip_binaries],
  ] as const) {
    if (value?.some((name) => name.includes(";"))) {
      warnings.push(
        `${field}: ";" only separates names in environment variables; in a file write a list instead.`,
      );
    }
  }

  checkRegexes(config, invalid, options.validators);
  return { errors, warnings };
}

type Report = (path: string, message: string) => void;

const EXCLUSIVE_HTTP_FILTERS = ["path_filter", "header_filter", "all_of", "any_of", "body_filter"] as const;

function verifyHttpFilter(
  filter: HttpFilterConfig,
  conflict: Report,
  invalid: Report,
  validators: RegexValidators | undefined,
): void {
  const at = "feature.network.incoming.http_filter";
  if (EXCLUSIVE_HTTP_FILTERS.filter((key) => filter[key] !== undefined).length > 1) {
    conflict(
      at,
      "Cannot use multiple types of HTTP filter at the same time, use 'any_of' or 'all_of' to combine filters",
    );
  }
  for (const key of ["all_of", "any_of"] as const) {
    if (filter[key]?.length === 0) conflict(`${at}.${key}`, "Composite HTTP filter cannot be empty");
  }
  const strings: Array<[string, string, boolean]> = [];
  for (const key of ["header_filter", "path_filter", "method_filter", "header_filter_jq"] as const) {
    const value = filter[key];
    if (value !== undefined) strings.push([key, value, key === "header_filter" || key === "path_filter"]);
  }
  if (filter.body_filter) strings.push(["body_filter.matches", filter.body_filter.matches, true]);
  for (const key of ["all_of", "any_of"] as const) {
    (filter[key] ?? []).forEach((inner, index) => {
      for (const [name, value] of Object.entries(inner)) {
        const field = `${key}[${index}].${name === "body" ? "matches" : name}`;
        const text = name === "body" ? (inner as { matches: string }).matches : String(value);
        if (name !== "query" || !("body" in inner))
          strings.push([field, text, name === "header" || name === "path" || name === "body"]);
      }
    });
  }
  for (const [field, value, isRegex] of strings) {
    if (value === "") invalid(at, `HTTP filter \`${field}\` cannot be an empty string`);
    else if (isRegex) {
      const problem = validators?.httpFilter?.(value);
      if (problem) invalid(`${at}.${field}`, `invalid regex \`${value}\`: ${problem}`);
    }
  }
}

function checkOneToOne(
  path: string,
  pairs: ReadonlyArray<readonly [number, number]> | undefined,
  invalid: Report,
): void {
  const sources = new Set<number>();
  const targets = new Set<number>();
  for (const [source, target] of pairs ?? []) {
    if (sources.has(source)) invalid(path, `\`${path}\` contains duplicate source port \`${source}\``);
    if (targets.has(target)) invalid(path, `\`${path}\` contains duplicate target port \`${target}\``);
    sources.add(source);
    targets.add(target);
  }
}

function checkRegexes(
  config: ResolvedConfig,
  invalid: Report,
  validators: RegexValidators | undefined,
): void {
  if (validators?.pattern === undefined) return;
  const check = (path: string, patterns: readonly string[] | undefined) => {
    for (const pattern of patterns ?? []) {
      const problem = validators.pattern?.(pattern);
      if (problem) invalid(path, `invalid regex \`${pattern}\`: ${problem}`);
    }
  };
  const fs = config.feature.fs;
  check("feature.fs.read_write", fs.read_write);
  check("feature.fs.read_only", fs.read_only);
  check("feature.fs.local", fs.local);
  check("feature.fs.not_found", fs.not_found);
  check("feature.fs.mapping", Object.keys(fs.mapping ?? {}));
  check("feature.env.mapping", Object.keys(config.feature.env.mapping ?? {}));
  check("feature.network.outgoing.unix_streams", config.feature.network.outgoing.unix_streams);
  for (const [queue, filter] of Object.entries(config.feature.split_queues ?? {})) {
    check(`feature.split_queues.${queue}.message_filter`, Object.values(filter.message_filter ?? {}));
  }
}
