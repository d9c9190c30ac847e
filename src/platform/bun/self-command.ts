/** How this program re-runs itself (agent re-exec after setns, the detached intproxy child). */
import { isCompiledBinary } from "./embedded-files.ts";

export interface SelfCommand {
  /** The executable to run: the compiled `mirrord`, or Bun when running from source. */
  path: string;
  /** Full argv (argv[0] included) that makes it run `mirrord <args…>`. */
  argv: string[];
}

export function selfCommand(args: readonly string[]): SelfCommand {
  const argv0 = process.argv[0] ?? process.execPath;
  // A compiled binary re-inserts its embedded entry point itself; from source Bun needs the script path.
  const prefix = isCompiledBinary() ? [argv0] : [argv0, process.argv[1] ?? ""];
  return { path: process.execPath, argv: [...prefix, ...args] };
}
