/** Joining another process's Linux namespaces (how `mirrord agent targeted --pid` gets into the pod). */
import { closeSync, openSync } from "node:fs";
import { lastErrno, libc } from "./libc.ts";

export const NAMESPACE_FLAGS = {
  net: 0x40000000, // CLONE_NEWNET
  uts: 0x04000000, // CLONE_NEWUTS
  mnt: 0x00020000, // CLONE_NEWNS
} as const;
export type NamespaceKind = keyof typeof NAMESPACE_FLAGS;

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
      if (libc().setns(fd, NAMESPACE_FLAGS[kind]) !== 0) {
        const errno = lastErrno();
        throw new NamespaceError(
          `setns(${path}) failed with errno ${errno}${errno === 1 ? " (EPERM: needs CAP_SYS_ADMIN)" : ""}`,
        );
      }
    } finally {
      closeSync(fd);
    }
  }
}
