/** The C programs the e2e tests run: compiled for a test file, their `key=value` output read back. */
import { join } from "node:path";
import { REPO_ROOT, run } from "./binary.ts";

const PROGRAMS = join(REPO_ROOT, "test", "e2e", "programs");

/** Compiles the C file `source` into `output` (returned); throws with gcc's output. */
export async function compileC(source: string, output: string, flags: string[] = []): Promise<string> {
  const built = await run(["gcc", ...flags, "-o", output, source]);
  if (built.code !== 0) throw new Error(`gcc ${source} failed: ${built.stderr}`);
  return output;
}

/** Compiles `test/e2e/programs/<name>.c` into `dir/<name>` and returns that path. */
export function compileProgram(name: string, dir: string, flags: string[] = []): Promise<string> {
  return compileC(join(PROGRAMS, `${name}.c`), join(dir, name), ["-O1", ...flags]);
}

/** The `key=value` lines a test program prints, as an object (the first `=` splits). */
export function keyValueLines(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}
