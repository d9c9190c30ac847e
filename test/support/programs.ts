/** The C programs under test/e2e/programs, compiled for a test file. */
import { join } from "node:path";
import { REPO_ROOT, run } from "./binary.ts";

const PROGRAMS = join(REPO_ROOT, "test", "e2e", "programs");

/** Compiles `test/e2e/programs/<name>.c` into `dir/<name>` and returns that path; throws with gcc's output. */
export async function compileProgram(name: string, dir: string, flags: string[] = []): Promise<string> {
  const output = join(dir, name);
  const built = await run(["gcc", "-O1", ...flags, "-o", output, join(PROGRAMS, `${name}.c`)]);
  if (built.code !== 0) throw new Error(`gcc ${name}.c failed: ${built.stderr}`);
  return output;
}
