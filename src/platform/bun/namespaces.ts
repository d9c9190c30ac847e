/** Joining another process's Linux namespaces (how `mirrord agent targeted --pid` gets into the pod). */
import { dlopen, FFIType, read } from "bun:ffi";
import { closeSync, openSync } from "node:fs";

export const NAMESPACE_FLAGS = {
  net: 0x40000000, // CLONE_NEWNET
  uts: 0x04000000, // CLONE_NEWUTS
  mnt: 0x00020000, // CLONE_NEWNS
} as const;
export type NamespaceKind = keyof typeof NAMESPACE_FLAGS;

const libc = dlopen("libc.so.6", {
  setns: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
});

export class NamespaceError extends Error {
  override readonly name = "NamespaceError";
}

/**
 * Moves the calling thread into `pid`'s namespaces. setns affects only the calling thread, and Bun runs
 * helper threads, so callers must execve right after (see `selfCommand`) to bring the whole process in.
 */
export function joinNamespacesOf(pid: number, kinds: readonly NamespaceKind[]): void {
  for (const kind of kinds) {
    const path = `/proc/${pid}/ns/${kind}`;
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (error) {
      throw new NamespaceError(`cannot open ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
    }
    try {
      if (libc.symbols.setns(fd, NAMESPACE_FLAGS[kind]) !== 0) {
        const location = libc.symbols.__errno_location();
        const errno = location ? read.i32(location, 0) : 0;
        throw new NamespaceError(
          `setns(${path}) failed with errno ${errno}${errno === 1 ? " (EPERM: needs CAP_SYS_ADMIN)" : ""}`,
        );
      }
    } finally {
      closeSync(fd);
    }
  }
}
