import type { CAC } from "cac";
import { CliError } from "../errors.ts";

export function register(cli: CAC): void {
  cli
    .command(
      "intproxy",
      "(internal) Run the internal proxy between the layer and the agent; started by `exec`",
    )
    .action(async () => {
      // Loaded on demand: every other command starts without the intproxy's modules.
      const { IntproxyStartError, runIntproxy } = await import("../../intproxy/main.ts");
      let code: number;
      try {
        code = await runIntproxy();
      } catch (error) {
        if (error instanceof IntproxyStartError) throw new CliError(`mirrord intproxy: ${error.message}`);
        throw error;
      }
      // Sockets still draining must not keep a finished proxy alive.
      process.exit(code);
    });
}
