import type { CAC } from "cac";
import { AgentUsageError, parseAgentArgs, type RawAgentArgs } from "../../agent/options.ts";
import { CliError, UsageError } from "../errors.ts";

export function register(cli: CAC): void {
  cli
    .command(
      "agent [...mode]",
      "(internal) Run the mirrord agent: targeted --pid <PID> | ephemeral | targetless",
    )
    .option("-l, --communicate-port <port>", "Port to listen on for clients (default 61337)")
    .option("-t, --communication-timeout <secs>", "Exit after this long without clients (default 30)")
    .option("--pid <pid>", "targeted: the target process")
    .option("--container-id <id>", "targeted: the target container, found by its id in /proc/*/cgroup")
    .option("--container-runtime <runtime>", "targeted: containerd, docker or cri-o")
    .action(async (mode: string[], flags: Omit<RawAgentArgs, "mode">) => {
      let options: ReturnType<typeof parseAgentArgs>;
      try {
        options = parseAgentArgs({ ...flags, mode });
      } catch (error) {
        if (error instanceof AgentUsageError) throw new UsageError(`mirrord agent: ${error.message}`);
        throw error;
      }
      // Loaded on demand: every other command starts without the agent's modules.
      const { AgentStartError, runAgent } = await import("../../agent/main.ts");
      let code: number;
      try {
        code = await runAgent(options);
      } catch (error) {
        if (error instanceof AgentStartError) throw new CliError(`mirrord agent: ${error.message}`);
        throw error;
      }
      // Client sockets still draining must not keep a finished agent alive.
      process.exit(code);
    });
}
