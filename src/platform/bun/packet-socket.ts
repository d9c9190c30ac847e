/**
 * A Linux packet socket (`AF_PACKET`, `SOCK_DGRAM`: packets from their IP header on, any link type) on
 * every interface of the calling process's network namespace, through bun:ffi. Non-blocking: the caller
 * drains it; a kernel classic-BPF filter decides which packets are queued at all. Needs CAP_NET_RAW.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import { constants } from "node:os";
import { lastErrno } from "./libc.ts";

const AF_PACKET = 17;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const ETH_P_ALL = 0x0003;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const SO_ATTACH_FILTER = 26;
const SOL_PACKET = 263;
const PACKET_STATISTICS = 6;
const MSG_TRUNC = 0x20;
const PACKET_OUTGOING = 4;
const SOCKADDR_LL_SIZE = 20;
const SOCK_FILTER_SIZE = 8;

let opened: ReturnType<typeof open> | undefined;
function open() {
  return dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    setsockopt: {
      args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32],
      returns: FFIType.i32,
    },
    getsockopt: {
      args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr],
      returns: FFIType.i32,
    },
    recvfrom: {
      args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.ptr],
      returns: FFIType.i64_fast,
    },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
  });
}
function libc() {
  opened ??= open();
  return opened.symbols;
}

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, value]) => [value, name]));

export class PacketSocketError extends Error {
  override readonly name = "PacketSocketError";
}

function failure(call: string): PacketSocketError {
  const errno = lastErrno();
  const name = ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
  const hint = errno === constants.errno.EPERM ? " (a packet socket needs CAP_NET_RAW)" : "";
  return new PacketSocketError(`${call} failed: ${name}${hint}`);
}

/** One classic BPF instruction (`struct sock_filter`). */
export interface PacketFilterInstruction {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

export interface ReceivedPacket {
  /** Bytes written to the buffer. */
  readonly captured: number;
  /** Bytes the packet had after the filter's cut (more than `captured` when the buffer was too small). */
  readonly length: number;
  /** Sent by this namespace (rather than received by it). */
  readonly outgoing: boolean;
}

export interface PacketSocketStatistics {
  /** Packets the filter accepted since the last call (queued or dropped). */
  readonly matched: number;
  /** Of those, packets dropped because the socket's queue was full. */
  readonly dropped: number;
}

export interface PacketSocket {
  /** Replaces the kernel filter; packets already queued stay queued. */
  setFilter(program: readonly PacketFilterInstruction[]): void;
  /** The next queued packet, or null when none is queued (never waits). */
  receive(buffer: Uint8Array): ReceivedPacket | null;
  /** Counters since the previous call (reading resets them). */
  statistics(): PacketSocketStatistics;
  close(): void;
}

/** `struct sock_fprog` pointing into `instructions`, which must stay alive until the kernel copied it. */
function encodeFilter(program: readonly PacketFilterInstruction[]): {
  fprog: Uint8Array;
  instructions: Uint8Array;
} {
  const instructions = new Uint8Array(program.length * SOCK_FILTER_SIZE);
  const view = new DataView(instructions.buffer);
  program.forEach(({ code, jt, jf, k }, index) => {
    const at = index * SOCK_FILTER_SIZE;
    view.setUint16(at, code, true);
    view.setUint8(at + 2, jt);
    view.setUint8(at + 3, jf);
    view.setUint32(at + 4, k >>> 0, true);
  });
  // struct sock_fprog { unsigned short len; struct sock_filter *filter; } (pointer 8-aligned)
  const fprog = new Uint8Array(16);
  const fview = new DataView(fprog.buffer);
  fview.setUint16(0, program.length, true);
  fview.setBigUint64(8, BigInt(ptr(instructions)), true);
  return { fprog, instructions };
}

/**
 * Opens the socket with `filter` already attached (so nothing unfiltered is ever queued) and a receive
 * queue of `receiveBufferBytes` (beyond the system limit when the process may, i.e. has CAP_NET_ADMIN).
 */
export function openPacketSocket(
  filter: readonly PacketFilterInstruction[],
  receiveBufferBytes: number,
): PacketSocket {
  const c = libc();
  // Protocol 0 = no packets until bind(): the filter is in place before the first one.
  const fd = c.socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw failure("socket(AF_PACKET)");
  let closed = false;
  const setFilter = (program: readonly PacketFilterInstruction[]): void => {
    const { fprog, instructions } = encodeFilter(program);
    const result = c.setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog, fprog.length);
    if (result !== 0)
      throw failure(`setsockopt(SO_ATTACH_FILTER, ${instructions.length / SOCK_FILTER_SIZE} instructions)`);
  };
  try {
    const size = new Int32Array([receiveBufferBytes]);
    if (c.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, size, 4) !== 0)
      c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, size, 4);
    setFilter(filter);
    const address = new Uint8Array(SOCKADDR_LL_SIZE);
    const view = new DataView(address.buffer);
    view.setUint16(0, AF_PACKET, true);
    view.setUint16(2, ETH_P_ALL, false); // network byte order; ifindex 0 = every interface
    if (c.bind(fd, address, SOCKADDR_LL_SIZE) !== 0) throw failure("bind(AF_PACKET)");
  } catch (error) {
    c.close(fd);
    throw error;
  }
  const from = new Uint8Array(SOCKADDR_LL_SIZE);
  const fromLength = new Uint32Array(1);
  const stats = new Uint32Array(2);
  const statsLength = new Uint32Array([8]);
  return {
    setFilter,
    receive(buffer) {
      if (closed) return null;
      fromLength[0] = SOCKADDR_LL_SIZE;
      // MSG_TRUNC: the return value is the packet's length even when the buffer holds less.
      const length = Number(c.recvfrom(fd, buffer, buffer.length, MSG_TRUNC, from, fromLength));
      if (length < 0) {
        const errno = lastErrno();
        if (errno === constants.errno.EAGAIN || errno === constants.errno.EINTR) return null;
        throw failure("recvfrom(AF_PACKET)");
      }
      // struct sockaddr_ll: sll_pkttype is byte 10.
      return { captured: Math.min(length, buffer.length), length, outgoing: from[10] === PACKET_OUTGOING };
    },
    statistics() {
      statsLength[0] = 8;
      if (closed || c.getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, stats, statsLength) !== 0)
        return { matched: 0, dropped: 0 };
      // struct tpacket_stats { tp_packets; tp_drops }; the kernel counts drops in tp_packets too.
      return { matched: stats[0] as number, dropped: stats[1] as number };
    },
    close() {
      if (closed) return;
      closed = true;
      c.close(fd);
    },
  };
}
