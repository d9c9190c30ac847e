/**
 * Where a connection redirected by netfilter (iptables/nftables REDIRECT) was originally going:
 * `getsockopt(SO_ORIGINAL_DST)` on the accepted socket, through bun:ffi.
 */

import { ptr } from "bun:ffi";
import type { Socket } from "node:net";
import { lastErrno, libc } from "./libc.ts";

const SOL_IP = 0;
const SOL_IPV6 = 41;
/** SO_ORIGINAL_DST and IP6T_SO_ORIGINAL_DST share the number, at their own levels. */
const SO_ORIGINAL_DST = 80;
const AF_INET = 2;
const AF_INET6 = 10;

export interface OriginalDestination {
  address: string;
  port: number;
}

/** The descriptor behind a node:net socket accepted by Bun (null once it is closed). */
function descriptorOf(socket: Socket): number | null {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === "number" && fd >= 0 ? fd : null;
}

function decode(buffer: Uint8Array): OriginalDestination | null {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const family = view.getUint16(0, true);
  const port = view.getUint16(2, false);
  if (family === AF_INET) return { address: buffer.subarray(4, 8).join("."), port };
  if (family !== AF_INET6) return null;
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(view.getUint16(8 + i * 2, false).toString(16));
  // The URL parser writes IPv6 in its canonical compressed form.
  return { address: new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1), port };
}

/**
 * The original destination of a redirected TCP connection; throws naming the errno when the kernel has
 * none (ENOENT: the connection was not redirected, or its conntrack entry is already gone).
 */
export function originalDestination(socket: Socket): OriginalDestination {
  const fd = descriptorOf(socket);
  if (fd === null) throw new Error("the socket has no descriptor (already closed)");
  const buffer = new Uint8Array(28); // sockaddr_in6, the larger of the two answers
  const length = new Uint32Array([buffer.byteLength]);
  const level =
    socket.remoteFamily === "IPv6" && !socket.remoteAddress?.startsWith("::ffff:") ? SOL_IPV6 : SOL_IP;
  if (libc().getsockopt(fd, level, SO_ORIGINAL_DST, ptr(buffer), ptr(length)) !== 0)
    throw new Error(`getsockopt(SO_ORIGINAL_DST) failed with errno ${lastErrno()}`);
  const destination = decode(buffer);
  if (!destination) throw new Error("getsockopt(SO_ORIGINAL_DST) returned an unknown address family");
  return destination;
}
