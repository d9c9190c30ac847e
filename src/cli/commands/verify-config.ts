/** `mirrord verify-config [--ide] [--resolved] <path>`: the JSON report IDEs read; always exits 0. */
import type { CAC } from "cac";
import { UsageError } from "../errors.ts";

export function register(cli: CAC): void {
  cli
    .command(
      // `[path]` rather than `<path>`: cac drops a lone `-` (stdin) from the arguments, so it is looked up in rawArgs.
      "verify-config [path]",
      "Check a config file (- = stdin) without starting anything; prints a JSON report and exits 0 (for IDEs)",
    )
    .usage(
      "verify-config [--ide] [--resolved] <path>\n\n" +
        "  Resolve a config file (- = stdin) as `mirrord exec` would, without starting anything, and print\n" +
        '  {"type": "Success", "config", "warnings", "compatible_target_types"} or {"type": "Fail", "errors"}.\n' +
        "  Always exits 0: the report says whether the file is valid.",
    )
    .option("--ide", "Treat an absent target as not yet chosen (the IDE asks for one) instead of targetless")
    .option("--resolved", "Add the fully resolved config (every default filled in) to a successful report")
    .example("mirrord verify-config .mirrord/mirrord.json")
    .example("mirrord verify-config --ide --resolved - < mirrord.json")
    .action(async (given: string | undefined, flags: { ide?: boolean; resolved?: boolean }) => {
      const path = given ?? (cli.rawArgs.slice(3).includes("-") ? "-" : undefined);
      if (path === undefined)
        throw new UsageError("missing required args for command `verify-config <path>`");
      const { cliLoadOptions } = await import("../config-loading.ts");
      const { verifyConfigReport } = await import("../../config/verify-report.ts");
      const options = await cliLoadOptions({ ...process.env, MIRRORD_CONFIG_FILE: path }, process.cwd());
      const report = await verifyConfigReport({
        ...options,
        ide: flags.ide === true,
        resolved: flags.resolved === true,
      });
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      process.exitCode = 0;
    });
}
