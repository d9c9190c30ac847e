/**
 * The target's filesystem as the agent reaches it: every path is resolved inside the target's root
 * (`/proc/<pid>/root`) with openat2(RESOLVE_IN_ROOT), so neither `..` nor an absolute symlink can
 * reach the agent's own files. Operations that name a final component (mkdir, unlink, lstat,
 * readlink, rename) open its parent that way and act on `/proc/self/fd/<parent>/<name>`, which the
 * kernel never resolves past that parent.
 */
import { closeSync, constants, readlinkSync } from "node:fs";
import { posix } from "node:path";
import { openInRoot, openRoot } from "../../platform/index.ts";

const O_PATH = 0o10000000;
const O_TMPFILE = 0o20000000 | constants.O_DIRECTORY;
/** open(2) flags the agent honours; the rest (e.g. O_ASYNC) would make openat2 fail with EINVAL. */
const OPEN_FLAGS =
  constants.O_RDONLY |
  constants.O_WRONLY |
  constants.O_RDWR |
  constants.O_CREAT |
  constants.O_EXCL |
  constants.O_TRUNC |
  constants.O_APPEND |
  constants.O_DIRECTORY |
  constants.O_NOFOLLOW |
  constants.O_SYNC |
  constants.O_DSYNC |
  constants.O_NOATIME |
  O_PATH |
  O_TMPFILE;
const O_CLOEXEC = 0o2000000;
const O_PATH_FLAGS = O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW | O_CLOEXEC;

export class TargetRoot {
  private readonly fd: number;
  /** Where the root is seen from the agent, to turn a resolved descriptor back into a pod path. */
  private readonly hostPath: string;

  constructor(root: string) {
    this.fd = openRoot(root);
    this.hostPath = readlinkSync(`/proc/self/fd/${this.fd}`);
  }

  /** Opens a pod path with the program's flags (never inheritable by the agent's children). */
  open(path: string, flags: number, mode: number): number {
    const kept = flags & OPEN_FLAGS;
    // openat2 refuses O_PATH with any flag but these (a metadata change by path opens it that way).
    if (kept & O_PATH) return openInRoot(this.fd, path, (kept & O_PATH_FLAGS) | O_CLOEXEC, 0);
    const creates = (kept & constants.O_CREAT) !== 0 || (kept & O_TMPFILE) === O_TMPFILE;
    return openInRoot(this.fd, path, kept | O_CLOEXEC | constants.O_NOCTTY, creates ? mode & 0o7777 : 0);
  }

  /** An O_PATH descriptor of the path itself (following a final symlink or not). */
  openPath(path: string, follow: boolean): number {
    return openInRoot(this.fd, path, O_PATH | O_CLOEXEC | (follow ? 0 : constants.O_NOFOLLOW), 0);
  }

  /** Runs `use` with `/proc/self/fd/<parent>/<name>` for the path's final component. */
  withEntry<T>(path: string, use: (entry: string) => T): T {
    const full = normalize(path);
    const name = posix.basename(full);
    if (name === "" || name === "." || name === "..") return use(`/proc/self/fd/${this.fd}/.`);
    const parent = openInRoot(this.fd, posix.dirname(full), O_PATH | constants.O_DIRECTORY | O_CLOEXEC, 0);
    try {
      return use(`/proc/self/fd/${parent}/${name}`);
    } finally {
      closeSync(parent);
    }
  }

  /** The pod path a descriptor opened under this root refers to. */
  podPathOf(fd: number): string {
    const host = readlinkSync(`/proc/self/fd/${fd}`);
    if (host === this.hostPath) return "/";
    const prefix = this.hostPath === "/" ? "" : this.hostPath;
    return host.startsWith(`${prefix}/`) ? host.slice(prefix.length) : host;
  }
}

/** Absolute, `.`/`..`-free lexically; the kernel still resolves symlinks (inside the root). */
export function normalize(path: string): string {
  return posix.normalize(posix.join("/", path));
}

/** `relative` taken against the pod directory `base` (symlinks and `..` are left to the kernel). */
export function joinPodPath(base: string, relative: string): string {
  return relative.startsWith("/") ? relative : `${base.replace(/\/+$/, "")}/${relative}`;
}
