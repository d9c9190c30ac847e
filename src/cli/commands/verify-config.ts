import type { CAC } from "cac";
import { verifyConfigReport } from "../../config/index.ts";

/** Node-compatible file access (Bun and Deno both provide node:fs and node:process). */
async function readText(path: string): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  return readFile(path, "utf8");
}

async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
  return new TextDecoder().decode(Buffer.concat(chunks));
}

export function register(cli: CAC): void {
  cli
    .command(
      "verify-config <path>",
      "(hidden in mirrord; for IDEs) Validate a config file and print a JSON report; always exits 0",
    )
    .option("--ide", "An absent target is not final (the IDE will ask for one)")
    .option("--resolved", "Include the fully resolved config in the report")
    .action(async (path: string, flags: { ide?: boolean; resolved?: boolean }) => {
      const report = await verifyConfigReport({
        env: { ...process.env, MIRRORD_CONFIG_FILE: path },
        cwd: process.cwd(),
        readFile: readText,
        readStdin,
        ide: flags.ide === true,
        resolved: flags.resolved === true,
      });
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      process.exitCode = 0;
    });
}
