/**
 * The config of a command that talks to an agent without running a program (`port-forward`,
 * `diagnose latency`): loaded like `exec`'s, with config errors and settings this build cannot honour
 * reported as CliErrors, plus the progress reporter agent creation expects.
 */
import type { ResolvedConfig } from "../config/index.ts";
import type { Progress } from "../exec/progress.ts";
import type { CreateReporter } from "../kube/create-agent.ts";
import { CliError } from "./errors.ts";

export async function loadSessionConfig(env: Record<string, string | undefined>): Promise<ResolvedConfig> {
  const { loadCliConfig } = await import("./config-loading.ts");
  const { ConfigError, unsupportedFeatures } = await import("../config/index.ts");
  let config: ResolvedConfig;
  try {
    config = (await loadCliConfig(env, process.cwd())).config;
  } catch (error) {
    if (error instanceof ConfigError)
      throw new CliError(error.message, "fix the configuration and run again");
    throw error;
  }
  const unsupported = unsupportedFeatures(config);
  if (unsupported.length > 0)
    throw new CliError(
      `this build of mirrord-ts does not support yet: ${unsupported.join("; ")}`,
      "remove those settings from the config to run without them",
    );
  return config;
}

export function agentReporter(progress: Progress): CreateReporter {
  return { phase: (what) => progress.info(what), warn: (what) => progress.warn(what) };
}
