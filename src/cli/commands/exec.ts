import { writeSync } from "node:fs";
import type { CAC } from "cac";
import { ConfigError } from "../../config/errors.ts";
import type { LoadedConfig } from "../../config/index.ts";
import { createProgress } from "../../exec/progress.ts";
import { CliError, UsageError } from "../errors.ts";
import { addExecOptions, type ExecFlags, execOptionsToEnv } from "../exec-options.ts";

export function register(cli: CAC): void {
  addExecOptions(
    cli.command(
      "exec [...command]",
      "Run a local binary with mirrord: its traffic, files, DNS and env come from the target",
    ),
  )
    .usage("exec [OPTIONS] -- <BINARY> [BINARY_ARGS]...")
    .example("mirrord exec -t deployment/api -- node server.js")
    .example("MIRRORD_CONNECT_TCP=10.0.0.7:61337 mirrord exec -- python app.py")
    .action(async (positional: string[], flags: ExecFlags & { "--"?: string[] }) => {
      const command = [...positional, ...(flags["--"] ?? [])];
      if (command.length === 0) {
        throw new UsageError(
          "missing the program to run",
          "usage: mirrord exec [OPTIONS] -- <BINARY> [ARGS]...",
        );
      }
      if (process.env.MIRRORD_RESOLVED_CONFIG) {
        throw new CliError(
          "Detected mirrord being run within mirrord",
          "run mirrord from a shell that is not itself under mirrord",
        );
      }
      const env = { ...process.env, ...execOptionsToEnv(flags) };
      const progress = createProgress(env.MIRRORD_PROGRESS_MODE, {
        // Synchronous writes: the process is replaced by execve right after, buffered output would be lost.
        stdout: (text) => writeSync(1, text),
        stderr: (text) => writeSync(2, text),
        stderrIsTty: process.stderr.isTTY === true,
      });
      // Loaded on demand, so the commands that need neither start faster.
      const { loadCliConfig } = await import("../config-loading.ts");
      const { runExec } = await import("../../exec/run.ts");
      let loaded: LoadedConfig;
      try {
        loaded = await loadCliConfig(env, process.cwd());
      } catch (error) {
        if (error instanceof ConfigError)
          throw new CliError(error.message, "fix the configuration and run again");
        throw error;
      }
      for (const warning of loaded.warnings) progress.warn(warning);
      await runExec({
        command,
        config: loaded.config,
        configPath: loaded.configPath,
        env,
        cwd: process.cwd(),
        progress,
      });
    });
}
