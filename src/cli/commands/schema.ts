import type { CAC } from "cac";
import { configJsonSchema } from "../../config/index.ts";

export function register(cli: CAC): void {
  cli
    .command(
      "schema",
      "Print the JSON Schema of the mirrord config file (for editor completion and validation)",
    )
    .action(() => {
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
      process.exitCode = 0;
    });
}
