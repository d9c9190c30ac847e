/**
 * Resolution pipeline: read the file (`-f` / MIRRORD_CONFIG_FILE, `-` = stdin) → render the
 * template → parse by extension → rewrite deprecated fields → validate and fill defaults →
 * env overrides (flags arrive as env) → magic → verify. File access is injected so this stays
 * runtime-agnostic.
 */
import { getRandomValues } from "node:crypto";
import * as v from "valibot";
import { migrateDeprecated } from "./deprecated.ts";
import { applyEnvOverrides, applyImagePartsEnv, type Env } from "./env-overrides.ts";
import { ConfigError, combineErrors, defaultIssueMessage, issuesToError } from "./errors.ts";
import { formatOf, parseConfigText } from "./formats.ts";
import { applyMagic, reflectOutgoingFilterInDns } from "./magic.ts";
import { configSchema, type ResolvedConfig } from "./root.ts";
import { renderTemplate } from "./template.ts";
import { type RegexValidators, verifyConfig } from "./verify.ts";

export interface LoadOptions {
  /** Environment (process env with CLI flag overrides already merged in). */
  env: Env;
  /** Directory relative config paths resolve against. */
  cwd: string;
  readFile(path: string): Promise<string>;
  readStdin(): Promise<string>;
  /** Current git branch for `{{ git_branch }}` when MIRRORD_BRANCH_NAME is not set. */
  gitBranch?(): Promise<string | undefined>;
  /** Session key generator (default: 5 random lowercase hex characters). */
  generateKey?(): string;
  validators?: RegexValidators;
  /** Treat an absent target as targetless when verifying (verify-config without --ide). */
  targetlessWhenAbsent?: boolean;
}

export interface LoadedConfig {
  config: ResolvedConfig;
  warnings: string[];
  /** Where the file came from (`-` for stdin); undefined when no file was used. */
  configPath: string | undefined;
  /** The session key was generated, not given. */
  keyGenerated: boolean;
}

export function randomKey(): string {
  const bytes = new Uint8Array(3);
  getRandomValues(bytes);
  return [...bytes]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("")
    .slice(0, 5);
}

function resolvePath(cwd: string, path: string): string {
  return path.startsWith("/") ? path : `${cwd.replace(/\/+$/, "")}/${path}`;
}

async function readConfigText(path: string, options: LoadOptions): Promise<string> {
  try {
    return path === "-" ? await options.readStdin() : await options.readFile(resolvePath(options.cwd, path));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`${path}: could not read the config file: ${reason}`, { file: path });
  }
}

/** The `key` written in the file, read before templating; any failure means "no key in the file". */
function keyFromRawFile(text: string, path: string, branch: string | undefined): string | undefined {
  try {
    const raw = parseConfigText(text, formatOf(path), path) as { key?: unknown };
    if (typeof raw?.key !== "string") return undefined;
    return renderTemplate(raw.key, path, {
      env: {},
      vars: branch === undefined ? {} : { git_branch: branch },
    });
  } catch {
    return undefined;
  }
}

async function gitBranchOf(options: LoadOptions): Promise<string | undefined> {
  const fromEnv = options.env.MIRRORD_BRANCH_NAME;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  return (await options.gitBranch?.()) || undefined;
}

/** Fields whose presence alone earns a warning (unstable or deprecated). */
const SUPPLIED_WARNINGS: ReadonlyArray<[string[], string | undefined, string]> = [
  [
    ["agent", "flush_connections"],
    "MIRRORD_AGENT_STEALER_FLUSH_CONNECTIONS",
    "Warning: field AgentConfig.flush_connections is marked as unstable. Please note API may change",
  ],
  [
    ["feature", "network", "outgoing", "unix_streams"],
    "MIRRORD_OUTGOING_REMOTE_UNIX_STREAMS",
    "Warning: field OutgoingConfig.unix_streams is marked as unstable. Please note API may change",
  ],
  [
    ["feature", "network", "incoming", "on_concurrent_steal"],
    "MIRRORD_OPERATOR_ON_CONCURRENT_STEAL",
    "Warning: field incoming.on_concurrent_steal is marked as unstable. Please note API may change",
  ],
  [
    ["experimental", "non_blocking_tcp_connect"],
    undefined,
    "`non_blocking_tcp_connect` is deprecated and enabled by default.",
  ],
  [["experimental", "sip_utils"], undefined, "`sip_utils` is deprecated and enabled by default."],
];

function supplied(raw: unknown, path: readonly string[]): boolean {
  let node = raw;
  for (const key of path) {
    if (typeof node !== "object" || node === null || !(key in node)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

export async function loadConfig(options: LoadOptions): Promise<LoadedConfig> {
  const { env } = options;
  const configPath = env.MIRRORD_CONFIG_FILE;
  const useFile = configPath !== undefined && configPath !== "";
  const text = useFile ? await readConfigText(configPath, options) : undefined;
  // Asking git costs a process: only when the file's template can use the branch.
  const branch = text?.includes("git_branch") ? await gitBranchOf(options) : undefined;
  const given =
    env.MIRRORD_KEY ?? (text === undefined ? undefined : keyFromRawFile(text, configPath ?? "", branch));
  const sessionKey = { value: given ?? (options.generateKey ?? randomKey)(), generated: given === undefined };
  let raw: unknown = {};
  if (text !== undefined && useFile) {
    const vars: Record<string, string> = { key: sessionKey.value };
    if (branch !== undefined) vars.git_branch = branch;
    const rendered = renderTemplate(text, configPath, { env, vars });
    raw = parseConfigText(rendered, formatOf(configPath), configPath);
  }
  return resolveRaw(raw, options, useFile ? configPath : undefined, sessionKey);
}

/** Everything after parsing; exported for callers that already hold a parsed object. */
export function resolveRaw(
  input: unknown,
  options: Omit<LoadOptions, "readFile" | "readStdin" | "cwd">,
  configPath: string | undefined,
  sessionKey: { value: string; generated: boolean } = { value: randomKey(), generated: true },
): LoadedConfig {
  const { env } = options;
  const { config: migrated, warnings } = migrateDeprecated(input);
  const raw = applyImagePartsEnv(migrated, env);
  const parsed = v.safeParse(configSchema, raw, { message: defaultIssueMessage });
  if (!parsed.success) throw issuesToError(parsed.issues);
  const config = parsed.output;
  const rawFs = (raw as { feature?: { fs?: unknown } } | undefined)?.feature?.fs;
  applyEnvOverrides(config, env, { fsWrittenAsObject: typeof rawFs === "object" && rawFs !== null });
  const keyGenerated = config.key === undefined && sessionKey.generated;
  config.key ??= sessionKey.value;
  for (const [path, envName, warning] of SUPPLIED_WARNINGS) {
    if (supplied(raw, path) || (envName !== undefined && env[envName] !== undefined)) warnings.push(warning);
  }
  applyMagic(config, env);
  warnings.push(...reflectOutgoingFilterInDns(config));
  const verification = verifyConfig(config, {
    targetlessWhenAbsent: options.targetlessWhenAbsent ?? false,
    ...(options.validators === undefined ? {} : { validators: options.validators }),
  });
  if (verification.errors.length > 0) throw combineErrors(verification.errors);
  return { config, warnings: [...warnings, ...verification.warnings], configPath, keyGenerated };
}
