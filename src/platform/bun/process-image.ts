/**
 * Replaces this process with another program (execve), the way `mirrord exec` hands over to the user's
 * binary: same PID, same tty, and the exit code and signals become the program's own.
 */
import { dlopen, FFIType, ptr, read } from "bun:ffi";

const SIGPIPE = 13;
const SIGXFSZ = 25;
const SIG_DFL = 0;

const libc = dlopen("libc.so.6", {
  execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  signal: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.ptr },
  __errno_location: { args: [], returns: FFIType.ptr },
});

/** NUL-terminated C strings and the NULL-terminated pointer array execve expects; keeps the buffers alive. */
function cStringArray(items: readonly string[]): { pointers: BigUint64Array; buffers: Buffer[] } {
  const buffers = items.map((item) => Buffer.from(`${item}\0`));
  const pointers = new BigUint64Array(items.length + 1);
  buffers.forEach((buffer, index) => {
    pointers[index] = BigInt(ptr(buffer));
  });
  return { pointers, buffers };
}

function lastErrno(): number {
  const location = libc.symbols.__errno_location();
  return location ? read.i32(location, 0) : 0;
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
  for (const signal of [SIGPIPE, SIGXFSZ]) libc.symbols.signal(signal, SIG_DFL);
  libc.symbols.execve(ptr(pathBuffer), ptr(args.pointers), ptr(envp.pointers));
  return lastErrno();
}
