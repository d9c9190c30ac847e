/**
 * Regenerates everything derived from the protocol catalogue: the TS types and the C codec + dump.
 * Run: ./node_modules/.bin/bun scripts/gen-protocol.ts
 * test/protocol/generated.test.ts fails when the committed files differ from `generatedFiles()`.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderGenerated } from "../src/protocol/codegen/render.ts";

export const repoRoot = join(import.meta.dir, "..");

/** Generated TS goes through Biome so the committed file is exactly what `biome check` accepts. */
function biomeFormat(path: string, text: string): string {
  const biome = join(repoRoot, "node_modules/.bin/biome");
  const run = spawnSync(biome, ["format", `--stdin-file-path=${path}`], { input: text, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`biome format ${path} failed: ${run.stderr}`);
  return run.stdout;
}

export function generatedFiles(): Record<string, string> {
  const files = renderGenerated();
  for (const path of Object.keys(files))
    if (path.endsWith(".ts")) files[path] = biomeFormat(path, files[path] as string);
  return files;
}

if (import.meta.main) {
  for (const [path, text] of Object.entries(generatedFiles())) {
    writeFileSync(join(repoRoot, path), text);
    console.log(`wrote ${path}`);
  }
}
