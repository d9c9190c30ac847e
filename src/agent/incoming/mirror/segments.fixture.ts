/** Builds real IPv4/IPv6 TCP packets (from the IP header on, as the sniffer captures them) for the unit tests. */
import { parseTcpSegment, type TcpSegment } from "./packet.ts";

export interface PacketSpec {
  readonly family?: 4 | 6;
  readonly source?: string;
  readonly destination?: string;
  readonly sourcePort?: number;
  readonly destinationPort?: number;
  readonly seq?: number;
  readonly ack?: number;
  readonly flags?: string;
  readonly payload?: string | Uint8Array;
  /** IPv4 option bytes (a multiple of 4). */
  readonly ipOptions?: number;
  /** TCP option bytes (a multiple of 4). */
  readonly tcpOptions?: number;
  readonly protocol?: number;
  readonly fragmentOffset?: number;
}

function ipBytes(text: string, family: 4 | 6): number[] {
  if (family === 4) return text.split(".").map(Number);
  const bytes = new Array<number>(16).fill(0);
  const [head = "", tail = ""] = text.split("::");
  const groups = (part: string) => (part ? part.split(":").map((group) => Number.parseInt(group, 16)) : []);
  groups(head).forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  const tailGroups = groups(tail);
  tailGroups.forEach((group, index) => {
    const at = 16 - (tailGroups.length - index) * 2;
    bytes[at] = group >> 8;
    bytes[at + 1] = group & 0xff;
  });
  return bytes;
}

const FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10 };

export function tcpPacket(spec: PacketSpec = {}): Uint8Array {
  const family = spec.family ?? 4;
  const payload =
    typeof spec.payload === "string"
      ? new TextEncoder().encode(spec.payload)
      : (spec.payload ?? new Uint8Array());
  const tcpLength = 20 + (spec.tcpOptions ?? 0);
  const ipLength = family === 4 ? 20 + (spec.ipOptions ?? 0) : 40;
  const packet = new Uint8Array(ipLength + tcpLength + payload.length);
  const view = new DataView(packet.buffer);
  const source = ipBytes(spec.source ?? (family === 4 ? "10.244.3.2" : "fd00::3:2"), family);
  const destination = ipBytes(spec.destination ?? (family === 4 ? "10.244.1.2" : "fd00::1:2"), family);
  if (family === 4) {
    view.setUint8(0, 0x40 | (ipLength / 4));
    view.setUint16(2, packet.length);
    view.setUint16(6, spec.fragmentOffset ?? 0);
    view.setUint8(8, 64);
    view.setUint8(9, spec.protocol ?? 6);
    packet.set(source, 12);
    packet.set(destination, 16);
  } else {
    view.setUint8(0, 0x60);
    view.setUint16(4, packet.length - 40);
    view.setUint8(6, spec.protocol ?? 6);
    view.setUint8(7, 64);
    packet.set(source, 8);
    packet.set(destination, 24);
  }
  view.setUint16(ipLength, spec.sourcePort ?? 40000);
  view.setUint16(ipLength + 2, spec.destinationPort ?? 8080);
  view.setUint32(ipLength + 4, (spec.seq ?? 1000) >>> 0);
  view.setUint32(ipLength + 8, (spec.ack ?? 0) >>> 0);
  view.setUint8(ipLength + 12, (tcpLength / 4) << 4);
  let flags = 0;
  for (const letter of spec.flags ?? "A") flags |= FLAG_BITS[letter] ?? 0;
  view.setUint8(ipLength + 13, flags);
  packet.set(payload, ipLength + tcpLength);
  return packet;
}

export function segment(spec: PacketSpec = {}): TcpSegment {
  const parsed = parseTcpSegment(tcpPacket(spec));
  if (!parsed) throw new Error("fixture built an unparsable packet");
  return parsed;
}
