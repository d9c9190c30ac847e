/** Finds the program `mirrord exec` runs, as a shell would (PATH lookup unless the name has a slash). */
import { accessSync, constants, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";

export class BinaryNotFoundError extends Error {
  override readonly name = "BinaryNotFoundError";
}

export function resolveBinary(name: string, env: Record<string, string | undefined>, cwd: string): string {
  if (name === "") throw new BinaryNotFoundError("Couldn't resolve binary name '': the name is empty");
  if (name.includes("/")) {
    const path = isAbsolute(name) ? name : resolve(cwd, name);
    const problem = executableProblem(path);
    if (problem) throw new BinaryNotFoundError(`Couldn't resolve binary name '${name}': ${problem}`);
    return path;
  }
  const searchPath = env.PATH ?? "/usr/local/bin:/usr/bin:/bin";
  for (const dir of searchPath.split(":")) {
    const candidate = join(dir === "" ? cwd : resolve(cwd, dir), name);
    if (!executableProblem(candidate)) return candidate;
  }
  throw new BinaryNotFoundError(`Couldn't resolve binary name '${name}': not found in PATH (${searchPath})`);
}

function executableProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return `${path} is not a file`;
    accessSync(path, constants.X_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? `${path} does not exist` : `${path} is not executable (${code})`;
  }
}
