/**
 * How the CLI loads the config: the file from disk or stdin, `{{ git_branch }}` from git, and the
 * fancy-regex engine for validating every regex at load time, so `exec` and `verify-config` reject
 * exactly the same files. The config engine itself stays runtime-agnostic; this file supplies its I/O.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import {
  type Env,
  type LoadedConfig,
  type LoadOptions,
  loadConfig,
  type RegexValidators,
} from "../config/index.ts";
import { FancyRegexEngine, validateFancyRegex } from "../filters/regex.ts";
import { loadFancyRegexWasm } from "../platform/index.ts";

/** `git branch --show-current` may hang on a network file system; the branch is only a template variable. */
const GIT_TIMEOUT_MS = 2_000;

/** The branch checked out in `cwd`, or undefined outside a repository, when detached, or on any failure. */
export function gitBranch(cwd: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      "git",
      ["branch", "--show-current"],
      { cwd, timeout: GIT_TIMEOUT_MS, maxBuffer: 64 * 1024, windowsHide: true },
      (error, stdout) => resolve(error ? undefined : stdout.trim() || undefined),
    );
  });
}

async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** mirrord compiles every config regex with fancy-regex; HTTP filters case-insensitively, as the agent does. */
/** Validators over `engine`, which is only called for (and so only compiled) when a config has regexes. */
export function fancyRegexValidators(engine: () => FancyRegexEngine): RegexValidators {
  return {
    httpFilter: (pattern) => validateFancyRegex(engine(), pattern, { caseInsensitive: true }),
    pattern: (pattern) => validateFancyRegex(engine(), pattern),
  };
}

let engine: FancyRegexEngine | undefined;

/** Compiling the WebAssembly module takes tens of milliseconds: done once, on first use. */
async function sharedEngine(): Promise<() => FancyRegexEngine> {
  const bytes = await loadFancyRegexWasm();
  return () => {
    engine ??= FancyRegexEngine.fromBytes(bytes);
    return engine;
  };
}

/** Everything `loadConfig` needs besides the environment, as the CLI provides it. */
export async function cliLoadOptions(env: Env, cwd: string): Promise<LoadOptions> {
  return {
    env,
    cwd,
    readFile: (path) => readFile(path, "utf8"),
    readStdin,
    gitBranch: () => gitBranch(cwd),
    validators: fancyRegexValidators(await sharedEngine()),
  };
}

/**
 * Resolves the config for a session: `env` is the process environment with the exec flags merged in
 * (see exec-options.ts), `cwd` the directory relative config paths resolve against.
 * @throws ConfigError naming the field, env var or file line at fault.
 */
export async function loadCliConfig(env: Env, cwd: string): Promise<LoadedConfig> {
  return loadConfig(await cliLoadOptions(env, cwd));
}
