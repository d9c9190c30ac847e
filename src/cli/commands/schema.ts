/** `mirrord schema`: the JSON Schema of the config file, generated from the config engine's schemas. */
import type { CAC } from "cac";

export function register(cli: CAC): void {
  cli
    .command(
      "schema",
      "Print the JSON Schema of the mirrord config file (for editor completion and validation)",
    )
    .usage(
      "schema\n\n" +
        "  Print the JSON Schema (draft-07) of the config file: every field with its type, default and\n" +
        "  description. Point your editor's JSON/YAML/TOML schema setting at the saved file.",
    )
    .example("mirrord schema > .mirrord/mirrord-schema.json")
    .action(async () => {
      process.stdout.write(
        `${JSON.stringify((await import("../../config/json-schema.ts")).configJsonSchema(), null, 2)}\n`,
      );
      process.exitCode = 0;
    });
}
