/** The libc functions the platform layer calls through bun:ffi, opened once, on first use. */
import { dlopen, FFIType, read } from "bun:ffi";

const SYMBOLS = {
  execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  signal: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.ptr },
  setns: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  setsid: { args: [], returns: FFIType.i32 },
  dup2: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  getsockopt: {
    args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr],
    returns: FFIType.i32,
  },
  __errno_location: { args: [], returns: FFIType.ptr },
} as const;

let opened: ReturnType<typeof dlopen<typeof SYMBOLS>> | undefined;

export function libc(): ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"] {
  opened ??= dlopen("libc.so.6", SYMBOLS);
  return opened.symbols;
}

/** errno of the last failed libc call made through `libc()` on this thread. */
export function lastErrno(): number {
  const location = libc().__errno_location();
  return location ? read.i32(location, 0) : 0;
}
