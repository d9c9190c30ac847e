/**
 * The `mirrord exec` flags (shared by commands that start a session) and their translation into
 * env overrides: flags are applied exactly like MIRRORD_* variables, so flags > env > file > defaults.
 */
import type { Command } from "cac";
import { ConfigError } from "../config/errors.ts";

/** Bare `-f` means this file. */
export const DEFAULT_CONFIG_PATH = "./.mirrord/mirrord.json";

const FS_MODES: Record<string, string> = {
  write: "write",
  read: "read",
  local: "local",
  "local-with-overrides": "localwithoverrides",
};

export function addExecOptions(cmd: Command): Command {
  withExecOptions(cmd);
  // cac gives every `--no-x` a default of true, which help prints as "(default: true)" and which would
  // hide whether the flag was given; absent must stay undefined so only a given flag becomes an override.
  for (const option of cmd.options) if (option.negated) option.config.default = undefined;
  return cmd;
}

function withExecOptions(cmd: Command): Command {
  return cmd
    .option(
      "-t, --target <target>",
      "Target to impersonate: pod/<p>[/container/<c>], deployment/<d>, targetless, …",
    )
    .option("-n, --target-namespace <namespace>", "Namespace of the target")
    .option("-a, --agent-namespace <namespace>", "Namespace to create the agent in")
    .option("-l, --agent-log-level <level>", "Agent log level (RUST_LOG syntax)")
    .option("-i, --agent-image <image>", "Agent container image (repo:tag)")
    .option("--agent-ttl <seconds>", "Seconds the agent Job lingers after the agent exits")
    .option("--agent-startup-timeout <seconds>", "Seconds to wait for the agent to become ready")
    .option("-e, --ephemeral-container", "Run the agent as an ephemeral container of the target pod")
    .option("--fs-mode <mode>", "Default file mode: write, read, local or local-with-overrides")
    .option(
      "-x, --override-env-vars-exclude <vars>",
      "Remote env vars to leave out (VAR1;VAR2, * and ? wildcards)",
    )
    .option(
      "-s, --override-env-vars-include <vars>",
      "Only take these remote env vars (VAR1;VAR2, * and ? wildcards)",
    )
    .option("--no-remote-dns", "Resolve DNS locally instead of in the target")
    .option("--skip-processes <names>", "Executables to leave alone (name1;name2)")
    .option(
      "-c, --accept-invalid-certificates [bool]",
      "Accept invalid TLS certificates; -c, -c=true or -c=false",
    )
    .option("--steal", "Steal incoming traffic instead of mirroring it")
    .option("--no-outgoing", "Keep all outgoing traffic local (TCP and UDP)")
    .option("--no-tcp-outgoing", "Keep outgoing TCP local")
    .option("--no-udp-outgoing", "Keep outgoing UDP local")
    .option("--no-telemetry", "Do not send anonymous usage telemetry")
    .option("--disable-version-check", "Do not check for a newer mirrord version")
    .option(
      "-f, --config-file [path]",
      `Config file (.json, .toml, .yaml); bare -f means ${DEFAULT_CONFIG_PATH}`,
    )
    .option("--context <context>", "kubeconfig context to use")
    .option("--env-file <path>", "dotenv file whose values override the remote env")
    .option("-k, --key <key>", "Session key (default: generated)");
}

/**
 * Adjusts argv before cac sees it where cac and clap differ: `-c` takes a value only as `-c=VALUE`
 * (`-c false` is `-c` followed by the argument `false`), and `-f -` (config from stdin) must keep its
 * `-`, which cac would drop. Nothing after `--` is touched.
 */
export function normalizeExecArgv(argv: readonly string[]): string[] {
  const end = argv.indexOf("--");
  const options = end === -1 ? argv : argv.slice(0, end);
  const rest = end === -1 ? [] : argv.slice(end);
  const normalized: string[] = [];
  for (const [index, arg] of options.entries()) {
    if (arg === "-" && ["-f", "--config-file"].includes(options[index - 1] ?? "")) {
      normalized[normalized.length - 1] = "--config-file=-";
    } else if (arg === "-c" || arg === "--accept-invalid-certificates") {
      normalized.push("--accept-invalid-certificates=true");
    } else if (arg.startsWith("-c=")) {
      normalized.push(`--accept-invalid-certificates=${arg.slice(3)}`);
    } else normalized.push(arg);
  }
  return [...normalized, ...rest];
}

/** What cac hands the action (camelCased long names). */
export interface ExecFlags {
  target?: string;
  targetNamespace?: string;
  agentNamespace?: string;
  agentLogLevel?: string;
  agentImage?: string;
  agentTtl?: string | number;
  agentStartupTimeout?: string | number;
  ephemeralContainer?: boolean;
  fsMode?: string;
  overrideEnvVarsExclude?: string;
  overrideEnvVarsInclude?: string;
  remoteDns?: boolean;
  skipProcesses?: string;
  acceptInvalidCertificates?: boolean | string;
  steal?: boolean;
  outgoing?: boolean;
  tcpOutgoing?: boolean;
  udpOutgoing?: boolean;
  telemetry?: boolean;
  configFile?: boolean | string;
  context?: string;
  envFile?: string;
  key?: string;
}

function u16Flag(flag: string, value: string | number): string {
  const text = String(value);
  if (!/^\d+$/.test(text) || Number(text) > 65_535) {
    throw new ConfigError(`${flag}: expected an integer 0..65535, got "${text}"`, { path: flag });
  }
  return text;
}

export function execOptionsToEnv(flags: ExecFlags): Record<string, string> {
  const env: Record<string, string> = {};
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined) env[name] = value;
  };
  set("MIRRORD_IMPERSONATED_TARGET", flags.target);
  set("MIRRORD_TARGET_NAMESPACE", flags.targetNamespace);
  set("MIRRORD_AGENT_NAMESPACE", flags.agentNamespace);
  set("MIRRORD_AGENT_RUST_LOG", flags.agentLogLevel);
  set("MIRRORD_AGENT_IMAGE", flags.agentImage);
  if (flags.agentTtl !== undefined) set("MIRRORD_AGENT_TTL", u16Flag("--agent-ttl", flags.agentTtl));
  if (flags.agentStartupTimeout !== undefined) {
    set("MIRRORD_AGENT_STARTUP_TIMEOUT", u16Flag("--agent-startup-timeout", flags.agentStartupTimeout));
  }
  if (flags.ephemeralContainer) set("MIRRORD_EPHEMERAL_CONTAINER", "true");
  if (flags.fsMode !== undefined) {
    const mode = FS_MODES[flags.fsMode];
    if (mode === undefined) {
      throw new ConfigError(
        `--fs-mode: expected ${Object.keys(FS_MODES).join(" | ")}, got "${flags.fsMode}"`,
        { path: "--fs-mode" },
      );
    }
    set("MIRRORD_FILE_MODE", mode);
  }
  set("MIRRORD_OVERRIDE_ENV_VARS_EXCLUDE", flags.overrideEnvVarsExclude);
  set("MIRRORD_OVERRIDE_ENV_VARS_INCLUDE", flags.overrideEnvVarsInclude);
  if (flags.remoteDns === false) set("MIRRORD_REMOTE_DNS", "false");
  set("MIRRORD_SKIP_PROCESSES", flags.skipProcesses);
  if (flags.acceptInvalidCertificates !== undefined) {
    const value = String(flags.acceptInvalidCertificates);
    if (value !== "true" && value !== "false") {
      throw new ConfigError(`--accept-invalid-certificates: expected true or false, got "${value}"`, {
        path: "--accept-invalid-certificates",
      });
    }
    set("MIRRORD_ACCEPT_INVALID_CERTIFICATES", value);
  }
  if (flags.steal) set("MIRRORD_AGENT_TCP_STEAL_TRAFFIC", "true");
  if (flags.outgoing === false || flags.tcpOutgoing === false) set("MIRRORD_TCP_OUTGOING", "false");
  if (flags.outgoing === false || flags.udpOutgoing === false) set("MIRRORD_UDP_OUTGOING", "false");
  if (flags.telemetry === false) set("MIRRORD_TELEMETRY", "false");
  if (flags.configFile !== undefined && flags.configFile !== false) {
    set("MIRRORD_CONFIG_FILE", flags.configFile === true ? DEFAULT_CONFIG_PATH : String(flags.configFile));
  }
  set("MIRRORD_KUBE_CONTEXT", flags.context);
  set("MIRRORD_OVERRIDE_ENV_VARS_FILE", flags.envFile);
  set("MIRRORD_KEY", flags.key);
  return env;
}
