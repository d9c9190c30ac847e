/**
 * Replaces this process with another program (execve), the way `mirrord exec` hands over to the user's
 * binary: same PID, same tty, and the exit code and signals become the program's own.
 */
import { ptr } from "bun:ffi";
import { lastErrno, libc } from "./libc.ts";

const SIGPIPE = 13;
const SIGXFSZ = 25;
const SIG_DFL = null; // (void (*)(int))0

/** NUL-terminated C strings and the NULL-terminated pointer array execve expects; keeps the buffers alive. */
function cStringArray(items: readonly string[]): { pointers: BigUint64Array; buffers: Buffer[] } {
  const buffers = items.map((item) => Buffer.from(`${item}\0`));
  const pointers = new BigUint64Array(items.length + 1);
  buffers.forEach((buffer, index) => {
    pointers[index] = BigInt(ptr(buffer));
  });
  return { pointers, buffers };
}

/**
 * execve(path, argv, env). Only returns on failure, with the errno. Bun ignores SIGPIPE and SIGXFSZ for
 * itself; ignored dispositions survive execve, so they are put back to default first.
 */
export function replaceProcessImage(
  path: string,
  argv: readonly string[],
  env: Record<string, string>,
): number {
  const pathBuffer = Buffer.from(`${path}\0`);
  const args = cStringArray(argv);
  const envp = cStringArray(Object.entries(env).map(([key, value]) => `${key}=${value}`));
  for (const signal of [SIGPIPE, SIGXFSZ]) libc().signal(signal, SIG_DFL);
  libc().execve(ptr(pathBuffer), ptr(args.pointers), ptr(envp.pointers));
  return lastErrno();
}
