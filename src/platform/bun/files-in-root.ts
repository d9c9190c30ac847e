/**
 * Opening paths inside a directory that acts as the filesystem root (the target's `/proc/<pid>/root`):
 * `openat2(2)` with RESOLVE_IN_ROOT, so `..` and absolute symlinks resolve inside it and never escape.
 * Also `fstatfs(2)`, which node:fs cannot do on a descriptor.
 */
import { dlopen, FFIType, ptr, read } from "bun:ffi";
import { constants } from "node:os";

const SYS_OPENAT2: Partial<Record<string, number>> = { x64: 437, arm64: 437 };
const RESOLVE_IN_ROOT = 0x10n;
const AT_FDCWD = -100;
const OPEN_HOW_SIZE = 24;
const STATFS_SIZE = 120;

let opened: ReturnType<typeof open> | undefined;
function open() {
  return dlopen("libc.so.6", {
    syscall: {
      args: [FFIType.i64, FFIType.i64, FFIType.ptr, FFIType.ptr, FFIType.i64],
      returns: FFIType.i64,
    },
    fstatfs: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
  });
}
function libc() {
  opened ??= open();
  return opened.symbols;
}

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, value]) => [value, name]));

/** An Error shaped like node:fs's (`code` = errno name, `errno` negative), from the thread's errno. */
function lastError(call: string, path: string): NodeJS.ErrnoException {
  const location = libc().__errno_location();
  const errno = location ? read.i32(location, 0) : constants.errno.EIO;
  const code = ERRNO_NAMES.get(errno) ?? "EIO";
  const error: NodeJS.ErrnoException = new Error(`${code}: ${call} '${path}'`);
  error.code = code;
  error.errno = -errno;
  error.syscall = call;
  return error;
}

/**
 * openat2(dirFd, path, {flags, mode, RESOLVE_IN_ROOT}): `dirFd` is the root the path resolves in
 * (absolute paths start there). Throws a node-style errno error.
 */
export function openInRoot(dirFd: number, path: string, flags: number, mode: number): number {
  const number = SYS_OPENAT2[process.arch];
  if (number === undefined) throw Object.assign(new Error(`openat2 on ${process.arch}`), { code: "ENOSYS" });
  const how = new BigUint64Array([BigInt(flags >>> 0), BigInt(mode), RESOLVE_IN_ROOT]);
  const pathBytes = Buffer.from(`${path}\0`);
  const fd = Number(libc().syscall(number, dirFd, ptr(pathBytes), ptr(how), OPEN_HOW_SIZE));
  if (fd < 0) throw lastError("openat2", path);
  return fd;
}

/** Opens a directory to serve as a root for `openInRoot` (O_PATH | O_DIRECTORY | O_CLOEXEC). */
export function openRoot(path: string): number {
  const fd = Number(
    libc().syscall(
      SYS_OPENAT2[process.arch] ?? -1,
      AT_FDCWD,
      ptr(Buffer.from(`${path}\0`)),
      ptr(rootHow()),
      OPEN_HOW_SIZE,
    ),
  );
  if (fd < 0) throw lastError("openat2", path);
  return fd;
}

function rootHow(): BigUint64Array {
  const O_PATH = 0o10000000;
  const O_DIRECTORY = 0o200000;
  const O_CLOEXEC = 0o2000000;
  return new BigUint64Array([BigInt(O_PATH | O_DIRECTORY | O_CLOEXEC), 0n, 0n]);
}

export interface FsStats {
  fsType: bigint;
  bsize: bigint;
  blocks: bigint;
  bfree: bigint;
  bavail: bigint;
  files: bigint;
  ffree: bigint;
  fsid: bigint;
  namelen: bigint;
  frsize: bigint;
  flags: bigint;
}

/** fstatfs(2) of an open descriptor (O_PATH ones included). */
export function fstatfs(fd: number): FsStats {
  const buffer = new BigInt64Array(STATFS_SIZE / 8);
  if (libc().fstatfs(fd, ptr(buffer)) !== 0) throw lastError("fstatfs", `fd ${fd}`);
  const [fsType, bsize, blocks, bfree, bavail, files, ffree, fsid, namelen, frsize, flags] = buffer;
  const u = (value: bigint | undefined) => BigInt.asUintN(64, value ?? 0n);
  return {
    fsType: fsType ?? 0n,
    bsize: bsize ?? 0n,
    blocks: u(blocks),
    bfree: u(bfree),
    bavail: u(bavail),
    files: u(files),
    ffree: u(ffree),
    fsid: u(fsid),
    namelen: namelen ?? 0n,
    frsize: frsize ?? 0n,
    flags: flags ?? 0n,
  };
}
