/** Builds and runs a layer unit-check program (layer/test/<name>.c, see layer/test/unit_check.h). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, type RunResult, run } from "./binary.ts";

const LAYER = join(REPO_ROOT, "layer");

/**
 * Compiles `layer/test/<name>.c` with the layer sources it checks (paths under layer/src) and the layer's
 * own strict flags, then runs it. Throws with gcc's output when it does not build warning-free.
 */
export async function runLayerUnits(
  name: string,
  sources: string[],
  libraries: string[] = [],
): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), `mirrord-${name}-`));
  try {
    const exe = join(dir, name);
    const built = await run([
      "gcc",
      "-std=gnu11",
      "-D_GNU_SOURCE",
      "-Wall",
      "-Wextra",
      "-Werror",
      "-O1",
      `-I${join(LAYER, "src")}`,
      ...sources.map((source) => join(LAYER, "src", source)),
      join(LAYER, "test", `${name}.c`),
      ...libraries,
      "-o",
      exe,
    ]);
    if (built.code !== 0 || built.stderr !== "") throw new Error(`gcc ${name}.c: ${built.stderr}`);
    return await run([exe]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
