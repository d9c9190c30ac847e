/**
 * Remote files: the layer's file operations served under the target's root (see files-root.ts).
 * Handles are agent-wide numbers; each open file keeps its own offset, so reads and writes at an
 * offset (FileReadAt/FileWriteAt) and at the handle's position (FileRead/FileWrite) both work.
 * Errors carry the errno the pod's kernel returned. Whatever a client left open is closed when it
 * disconnects (one client is one intproxy, so a program's forked children share its handles).
 */
import {
  accessSync,
  type BigIntStats,
  chmodSync,
  chownSync,
  closeSync,
  constants,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  readSync,
  renameSync,
  rmdirSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from "node:fs";
import { posix } from "node:path";
import { fstatfs } from "../../platform/index.ts";
import type { DirEntry, Message, Metadata, Timespec } from "../../protocol/index.ts";
import { ErrorKind } from "../../protocol/index.ts";
import type { TargetContext } from "../target.ts";
import { joinPodPath, TargetRoot } from "./files-root.ts";
import { type AgentClient, errorReply, type FeatureHandlers } from "./handler.ts";

/** The largest read served per request; the layer returns a short read beyond it. */
const MAX_READ = 1024 * 1024;
const AT_REMOVEDIR = 0x200;
const EBADF = 9;
/** chown(2)'s "leave this id as it is". */
const UNCHANGED_ID = 0xffffffff;

interface OpenFile {
  fd: number;
  /** The pod path it was opened as (for paths relative to it). */
  path: string;
  append: boolean;
  offset: number;
}

interface DirStream {
  entries: DirEntry[];
  next: number;
}

const files = new Map<bigint, OpenFile>();
const dirs = new Map<bigint, DirStream>();
let nextHandle = 1n;
/** The handles each client holds, closed when it disconnects. */
const held = new WeakMap<AgentClient, Set<bigint>>();

function hold(client: AgentClient, handle: bigint): bigint {
  let handles = held.get(client);
  if (!handles) {
    const mine = new Set<bigint>();
    handles = mine;
    held.set(client, mine);
    client.onClose(() => {
      for (const open of mine) release(open);
    });
  }
  handles.add(handle);
  return handle;
}

function release(handle: bigint): void {
  dirs.delete(handle);
  const file = files.get(handle);
  if (!file) return;
  files.delete(handle);
  closeSync(file.fd);
}
const roots = new Map<string, TargetRoot>();

function rootOf(target: TargetContext): TargetRoot {
  let root = roots.get(target.root);
  if (!root) {
    root = new TargetRoot(target.root);
    roots.set(target.root, root);
  }
  return root;
}

function badHandle(what: string, handle: bigint): Message {
  return errorReply(EBADF, ErrorKind.io, `${what}: no open remote file ${handle}`);
}

function withFile(handle: bigint, what: string, use: (file: OpenFile) => Message): Message {
  const file = files.get(handle);
  return file ? use(file) : badHandle(what, handle);
}

/** Runs `use` on a temporary O_PATH descriptor of `path`. */
function withPath<T>(root: TargetRoot, path: string, follow: boolean, use: (fd: number) => T): T {
  const fd = root.openPath(path, follow);
  try {
    return use(fd);
  } finally {
    closeSync(fd);
  }
}

function metadataOf(stats: BigIntStats): Metadata {
  const time = (ns: bigint) => ({ sec: ns / 1_000_000_000n, nsec: Number(ns % 1_000_000_000n) });
  return {
    dev: stats.dev,
    ino: stats.ino,
    mode: Number(stats.mode),
    nlink: stats.nlink,
    uid: Number(stats.uid),
    gid: Number(stats.gid),
    rdev: stats.rdev,
    size: stats.size,
    blksize: stats.blksize,
    blocks: stats.blocks,
    atime: time(stats.atimeNs),
    mtime: time(stats.mtimeNs),
    ctime: time(stats.ctimeNs),
  };
}

/** The file behind an open handle by a path the kernel follows to it: works for O_PATH handles too. */
const procPath = (file: OpenFile) => `/proc/self/fd/${file.fd}`;

/** utimes(2) takes seconds as a double: nanoseconds below a microsecond are rounded. */
const seconds = (time: Timespec) => Number(time.sec) + time.nsec / 1e9;
const statSeconds = (ns: bigint) => Number(ns / 1000n) / 1e6;

const DT = { fifo: 1, char: 2, dir: 4, block: 6, file: 8, link: 10, socket: 12 } as const;

function typeOf(stats: BigIntStats): number {
  if (stats.isFile()) return DT.file;
  if (stats.isDirectory()) return DT.dir;
  if (stats.isSymbolicLink()) return DT.link;
  if (stats.isFIFO()) return DT.fifo;
  if (stats.isCharacterDevice()) return DT.char;
  if (stats.isBlockDevice()) return DT.block;
  if (stats.isSocket()) return DT.socket;
  return 0;
}

/** The directory's entries as readdir(3) lists them, `.` and `..` first. */
function listDirectory(root: TargetRoot, file: OpenFile): DirEntry[] {
  const self = `/proc/self/fd/${file.fd}`;
  const here = fstatSync(file.fd, { bigint: true });
  if (!here.isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
  const parentIno = withPath(
    root,
    posix.dirname(root.podPathOf(file.fd)),
    true,
    (fd) => fstatSync(fd, { bigint: true }).ino,
  );
  const entries: DirEntry[] = [
    { ino: here.ino, offset: 1n, fileType: DT.dir, name: "." },
    { ino: parentIno, offset: 2n, fileType: DT.dir, name: ".." },
  ];
  for (const name of readdirSync(self)) {
    try {
      const stats = lstatSync(`${self}/${name}`, { bigint: true });
      entries.push({ ino: stats.ino, offset: BigInt(entries.length + 1), fileType: typeOf(stats), name });
    } catch {
      // Removed between the listing and the lstat: readdir would not have shown it either.
    }
  }
  return entries;
}

export const filesFeature: FeatureHandlers = {
  FileOpen: (request, target, client) => {
    const root = rootOf(target);
    let path = request.path;
    if (request.dirFd !== null) {
      const dir = files.get(request.dirFd);
      if (!dir) return badHandle("FileOpen", request.dirFd);
      path = joinPodPath(dir.path, request.path);
    }
    const fd = root.open(path, request.flags, request.mode);
    const handle = hold(client, nextHandle++);
    files.set(handle, { fd, path, append: (request.flags & constants.O_APPEND) !== 0, offset: 0 });
    return { type: "FileOpened", fd: handle };
  },

  FileClose: (request, _target, client) =>
    withFile(request.fd, "FileClose", () => {
      held.get(client)?.delete(request.fd);
      release(request.fd);
      return { type: "Ok" };
    }),

  FileRead: (request) =>
    withFile(request.fd, "FileRead", (file) => {
      const data = Buffer.allocUnsafe(Math.min(request.size, MAX_READ));
      const got = readSync(file.fd, data, 0, data.length, file.offset);
      file.offset += got;
      return { type: "FileData", data: data.subarray(0, got) };
    }),

  FileReadAt: (request) =>
    withFile(request.fd, "FileReadAt", (file) => {
      const data = Buffer.allocUnsafe(Math.min(request.size, MAX_READ));
      const got = readSync(file.fd, data, 0, data.length, Number(request.offset));
      return { type: "FileData", data: data.subarray(0, got) };
    }),

  FileWrite: (request) =>
    withFile(request.fd, "FileWrite", (file) => {
      if (file.append) {
        const written = writeSync(file.fd, request.data);
        file.offset = Number(fstatSync(file.fd, { bigint: true }).size);
        return { type: "FileWritten", written: BigInt(written) };
      }
      const written = writeSync(file.fd, request.data, 0, request.data.length, file.offset);
      file.offset += written;
      return { type: "FileWritten", written: BigInt(written) };
    }),

  FileWriteAt: (request) =>
    withFile(request.fd, "FileWriteAt", (file) => {
      const written = writeSync(file.fd, request.data, 0, request.data.length, Number(request.offset));
      return { type: "FileWritten", written: BigInt(written) };
    }),

  FileSeek: (request) =>
    withFile(request.fd, "FileSeek", (file) => {
      const base =
        request.whence === "set"
          ? 0
          : request.whence === "current"
            ? file.offset
            : Number(fstatSync(file.fd, { bigint: true }).size);
      const offset = base + Number(request.offset);
      if (offset < 0) return errorReply(22, ErrorKind.io, "FileSeek: negative offset");
      file.offset = offset;
      return { type: "FileSeeked", offset: BigInt(offset) };
    }),

  FileTruncate: (request) =>
    withFile(request.fd, "FileTruncate", (file) => {
      ftruncateSync(file.fd, Number(request.length));
      return { type: "Ok" };
    }),

  FileChmod: (request) =>
    withFile(request.fd, "FileChmod", (file) => {
      chmodSync(procPath(file), request.mode & 0o7777);
      return { type: "Ok" };
    }),

  FileChown: (request) =>
    withFile(request.fd, "FileChown", (file) => {
      const id = (value: number) => (value === UNCHANGED_ID ? -1 : value);
      chownSync(procPath(file), id(request.uid), id(request.gid));
      return { type: "Ok" };
    }),

  /** A missing time keeps the file's current one (utimensat's UTIME_OMIT). */
  FileSetTimes: (request) =>
    withFile(request.fd, "FileSetTimes", (file) => {
      const now = fstatSync(file.fd, { bigint: true });
      const atime = request.atime ? seconds(request.atime) : statSeconds(now.atimeNs);
      const mtime = request.mtime ? seconds(request.mtime) : statSeconds(now.mtimeNs);
      utimesSync(procPath(file), atime, mtime);
      return { type: "Ok" };
    }),

  FileSync: (request) =>
    withFile(request.fd, "FileSync", (file) => {
      (request.dataOnly ? fdatasyncSync : fsyncSync)(file.fd);
      return { type: "Ok" };
    }),

  FileStat: (request, target) => {
    const root = rootOf(target);
    if (request.fd !== null) {
      const file = files.get(request.fd);
      if (!file) return badHandle("FileStat", request.fd);
      if (request.path === null || request.path === "")
        return { type: "FileMetadata", metadata: metadataOf(fstatSync(file.fd, { bigint: true })) };
      const path = joinPodPath(file.path, request.path);
      return withPath(root, path, request.followSymlinks, (fd) => ({
        type: "FileMetadata",
        metadata: metadataOf(fstatSync(fd, { bigint: true })),
      }));
    }
    if (request.path === null) return errorReply(22, ErrorKind.badRequest, "FileStat needs an fd or a path");
    return withPath(root, request.path, request.followSymlinks, (fd) => ({
      type: "FileMetadata",
      metadata: metadataOf(fstatSync(fd, { bigint: true })),
    }));
  },

  FileStatFs: (request, target) => {
    if (request.fd !== null)
      return withFile(request.fd, "FileStatFs", (file) => ({
        type: "FileStatFsResult",
        statfs: fstatfs(file.fd),
      }));
    if (request.path === null)
      return errorReply(22, ErrorKind.badRequest, "FileStatFs needs an fd or a path");
    return withPath(rootOf(target), request.path, true, (fd) => ({
      type: "FileStatFsResult",
      statfs: fstatfs(fd),
    }));
  },

  FileAccess: (request, target) =>
    withPath(rootOf(target), request.path, true, (fd) => {
      accessSync(`/proc/self/fd/${fd}`, request.mode);
      return { type: "Ok" };
    }),

  FileReadLink: (request, target) => ({
    type: "FilePath",
    path: rootOf(target).withEntry(request.path, (entry) => readlinkSync(entry)),
  }),

  FileRealPath: (request, target) => {
    const root = rootOf(target);
    return { type: "FilePath", path: withPath(root, request.path, true, (fd) => root.podPathOf(fd)) };
  },

  FileMkdir: (request, target) => {
    let path = request.path;
    if (request.dirFd !== null) {
      const dir = files.get(request.dirFd);
      if (!dir) return badHandle("FileMkdir", request.dirFd);
      path = joinPodPath(dir.path, path);
    }
    rootOf(target).withEntry(path, (entry) => mkdirSync(entry, { mode: request.mode & 0o7777 }));
    return { type: "Ok" };
  },

  FileRmdir: (request, target) => {
    rootOf(target).withEntry(request.path, (entry) => rmdirSync(entry));
    return { type: "Ok" };
  },

  FileUnlink: (request, target) => {
    let path = request.path;
    if (request.dirFd !== null) {
      const dir = files.get(request.dirFd);
      if (!dir) return badHandle("FileUnlink", request.dirFd);
      path = joinPodPath(dir.path, path);
    }
    rootOf(target).withEntry(path, (entry) =>
      request.flags & AT_REMOVEDIR ? rmdirSync(entry) : unlinkSync(entry),
    );
    return { type: "Ok" };
  },

  FileRename: (request, target) => {
    const root = rootOf(target);
    root.withEntry(request.oldPath, (from) => root.withEntry(request.newPath, (to) => renameSync(from, to)));
    return { type: "Ok" };
  },

  FileOpenDir: (request, target, client) =>
    withFile(request.fd, "FileOpenDir", (file) => {
      const handle = hold(client, nextHandle++);
      dirs.set(handle, { entries: listDirectory(rootOf(target), file), next: 0 });
      return { type: "FileDirOpened", dirFd: handle };
    }),

  FileReadDirBatch: (request) => {
    const dir = dirs.get(request.dirFd);
    if (!dir) return badHandle("FileReadDirBatch", request.dirFd);
    const batch = dir.entries.slice(dir.next, dir.next + Math.max(1, request.max));
    dir.next += batch.length;
    return { type: "FileDirEntries", entries: batch };
  },

  FileCloseDir: (request, _target, client) => {
    held.get(client)?.delete(request.dirFd);
    release(request.dirFd);
    return { type: "Ok" };
  },
};
