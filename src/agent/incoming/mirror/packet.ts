/**
 * Reads a TCP segment out of a captured packet that starts at its IP header (what an
 * `AF_PACKET/SOCK_DGRAM` socket returns). Packets are untrusted input: anything malformed is `null`,
 * never an exception. Checksums are not verified: segments handed to a tap before transmission (and
 * with checksum offload, after reception) carry partial checksums.
 */

export interface TcpSegment {
  /** 4 bytes (IPv4) or 16 (IPv6). */
  readonly sourceIp: Uint8Array;
  readonly sourcePort: number;
  readonly destinationIp: Uint8Array;
  readonly destinationPort: number;
  /** Unsigned 32-bit. */
  readonly seq: number;
  /** Unsigned 32-bit; meaningful only with `flags.ack`. */
  readonly ack: number;
  readonly flags: TcpFlags;
  /** The captured payload bytes (a view into the packet). */
  readonly payload: Uint8Array;
  /** Payload bytes the segment carried but the capture cut off. */
  readonly missingBytes: number;
}

export interface TcpFlags {
  readonly fin: boolean;
  readonly syn: boolean;
  readonly rst: boolean;
  readonly ack: boolean;
}

const IPPROTO_TCP = 6;
const IPV6_HEADER = 40;
const TCP_MIN_HEADER = 20;

/**
 * `packet` holds the captured bytes of a packet that was `wireLength` bytes long; without `wireLength`
 * the capture may have been cut anywhere after the headers and the IP header says how long it was.
 */
export function parseTcpSegment(packet: Uint8Array, wireLength?: number): TcpSegment | null {
  if (packet.length < 1) return null;
  const version = (packet[0] as number) >> 4;
  if (version === 4) return parseIpv4(packet, wireLength);
  if (version === 6) return parseIpv6(packet, wireLength);
  return null;
}

function view(packet: Uint8Array): DataView {
  return new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
}

function parseIpv4(packet: Uint8Array, wireLength: number | undefined): TcpSegment | null {
  if (packet.length < 20) return null;
  const ip = view(packet);
  const headerLength = (ip.getUint8(0) & 0x0f) * 4;
  // A GSO super-packet over 64 KiB (BIG TCP) carries total length 0: its length is the wire length.
  const totalLength = ip.getUint16(2) || (wireLength ?? packet.length);
  const fragmentOffset = ip.getUint16(6) & 0x1fff;
  if (headerLength < 20 || totalLength < headerLength || totalLength > (wireLength ?? totalLength))
    return null;
  if (ip.getUint8(9) !== IPPROTO_TCP || fragmentOffset !== 0) return null;
  return parseTcp(packet, headerLength, totalLength, packet.subarray(12, 16), packet.subarray(16, 20));
}

function parseIpv6(packet: Uint8Array, wireLength: number | undefined): TcpSegment | null {
  if (packet.length < IPV6_HEADER) return null;
  const ip = view(packet);
  const payloadLength = ip.getUint16(4) || (wireLength ?? packet.length) - IPV6_HEADER;
  const totalLength = IPV6_HEADER + payloadLength;
  if (ip.getUint8(6) !== IPPROTO_TCP || totalLength > (wireLength ?? totalLength)) return null;
  return parseTcp(packet, IPV6_HEADER, totalLength, packet.subarray(8, 24), packet.subarray(24, 40));
}

function parseTcp(
  packet: Uint8Array,
  start: number,
  end: number,
  sourceIp: Uint8Array,
  destinationIp: Uint8Array,
): TcpSegment | null {
  if (packet.length < start + TCP_MIN_HEADER) return null;
  const tcp = new DataView(packet.buffer, packet.byteOffset + start, packet.length - start);
  const headerLength = (tcp.getUint8(12) >> 4) * 4;
  const flags = tcp.getUint8(13);
  const payloadStart = start + headerLength;
  if (headerLength < TCP_MIN_HEADER || payloadStart > end || payloadStart > packet.length) return null;
  const capturedEnd = Math.min(end, packet.length);
  return {
    sourceIp,
    sourcePort: tcp.getUint16(0),
    destinationIp,
    destinationPort: tcp.getUint16(2),
    seq: tcp.getUint32(4),
    ack: tcp.getUint32(8),
    flags: {
      fin: (flags & 0x01) !== 0,
      syn: (flags & 0x02) !== 0,
      rst: (flags & 0x04) !== 0,
      ack: (flags & 0x10) !== 0,
    },
    payload: packet.subarray(payloadStart, capturedEnd),
    missingBytes: end - capturedEnd,
  };
}
