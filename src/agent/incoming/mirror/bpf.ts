/**
 * The classic BPF program the kernel runs on every packet before the sniffer sees it, so only TCP
 * segments of mirrored connections ever cross into the agent: segments TO a subscribed port that
 * arrive at this namespace (whole), and segments FROM a subscribed port that leave it (headers only:
 * the sniffer needs the server's ACK/FIN/RST, never its payload).
 *
 * The socket is `AF_PACKET/SOCK_DGRAM`, so the program sees the packet from the IP header on, whatever
 * the link type (veth, loopback, tunnels).
 */

/** `struct sock_filter` (linux/filter.h). */
export interface SockFilter {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

// Opcode pieces from linux/bpf_common.h.
const LD = 0x00;
const LDX = 0x01;
const JMP = 0x05;
const RET = 0x06;
const W = 0x00;
const H = 0x08;
const B = 0x10;
const IMM = 0x00;
const ABS = 0x20;
const IND = 0x40;
const MSH = 0xa0;
const JA = 0x00;
const JEQ = 0x10;
const JSET = 0x40;
const K = 0x00;

/** Ancillary loads (linux/filter.h SKF_AD_*): offsets the kernel answers from the skb, not the bytes. */
const SKF_AD_OFF = 0xfffff000;
const SKF_AD_PROTOCOL = 0;
const SKF_AD_PKTTYPE = 4;

export const PACKET_HOST = 0;
export const PACKET_OUTGOING = 4;
const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const IPPROTO_TCP = 6;

/** Bytes kept of a server→client segment: the largest IPv4 header (60) + the largest TCP header (60). */
export const SERVER_SEGMENT_SNAP = 120;
/** Bytes kept of a client→server segment: more than any GSO super-packet the kernel hands a tap. */
export const CLIENT_SEGMENT_SNAP = 262_144;
/** Classic BPF jumps skip at most 255 instructions; two port lists must fit that. */
export const MAX_FILTER_PORTS = 100;

type Label = string;
type Line =
  | { readonly label: Label }
  | { readonly code: number; readonly k: number; readonly jt?: Label; readonly jf?: Label };

/**
 * Resolves labels into the relative forward offsets classic BPF wants. A conditional jump's missing
 * target means "the next instruction"; an unconditional jump (`JMP|JA`) takes its target in `jt`.
 */
export function assemble(lines: readonly Line[]): SockFilter[] {
  const positions = new Map<Label, number>();
  const instructions: Exclude<Line, { label: Label }>[] = [];
  for (const line of lines) {
    if ("label" in line) {
      if (positions.has(line.label)) throw new Error(`BPF label '${line.label}' is defined twice`);
      positions.set(line.label, instructions.length);
    } else instructions.push(line);
  }
  const offset = (from: number, label: Label | undefined): number => {
    if (label === undefined) return 0;
    const target = positions.get(label);
    if (target === undefined) throw new Error(`BPF label '${label}' is not defined`);
    const distance = target - from - 1;
    if (distance < 0) throw new Error(`BPF jump to '${label}' goes backwards`);
    return distance;
  };
  return instructions.map((insn, index) => {
    const isJa = insn.code === (JMP | JA);
    const jt = offset(index, insn.jt);
    const jf = offset(index, insn.jf);
    if (isJa) return { code: insn.code, jt: 0, jf: 0, k: jt };
    if (jt > 255 || jf > 255) throw new Error("BPF jump longer than 255 instructions");
    return { code: insn.code, jt, jf, k: insn.k >>> 0 };
  });
}

const ret = (k: number): Line => ({ code: RET | K, k });

/** Matches A against each port; a hit jumps to `hit`, no hit falls to `miss`. */
function portTests(ports: readonly number[], hit: Label, miss: Label): Line[] {
  return ports.map((port, index) => ({
    code: JMP | JEQ | K,
    k: port,
    jt: hit,
    jf: index === ports.length - 1 ? miss : undefined,
  }));
}

/** The sniffer's filter for these TCP ports; no ports = a filter that drops everything. */
export function mirrorFilter(ports: Iterable<number>): SockFilter[] {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  for (const port of sorted)
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new RangeError(`cannot mirror port ${port}: not a TCP port number`);
  if (sorted.length > MAX_FILTER_PORTS)
    throw new RangeError(`cannot mirror ${sorted.length} ports at once (at most ${MAX_FILTER_PORTS})`);
  if (sorted.length === 0) return assemble([ret(0)]);
  return assemble([
    { code: LD | H | ABS, k: SKF_AD_OFF + SKF_AD_PROTOCOL },
    { code: JMP | JEQ | K, k: ETH_P_IP, jt: "ipv4" },
    { code: JMP | JEQ | K, k: ETH_P_IPV6, jt: "ipv6", jf: "drop" },
    { label: "ipv4" },
    { code: LD | B | ABS, k: 9 },
    { code: JMP | JEQ | K, k: IPPROTO_TCP, jf: "drop" },
    { code: LD | H | ABS, k: 6 },
    // A non-first fragment carries no TCP header to read ports from.
    { code: JMP | JSET | K, k: 0x1fff, jt: "drop" },
    { code: LDX | B | MSH, k: 0 },
    { code: JMP | JA, k: 0, jt: "direction" },
    { label: "ipv6" },
    // Extension headers before TCP are not followed: Kubernetes pod traffic does not carry them.
    { code: LD | B | ABS, k: 6 },
    { code: JMP | JEQ | K, k: IPPROTO_TCP, jf: "drop" },
    { code: LDX | W | IMM, k: 40 },
    { label: "direction" },
    { code: LD | B | ABS, k: SKF_AD_OFF + SKF_AD_PKTTYPE },
    { code: JMP | JEQ | K, k: PACKET_HOST, jt: "to_server" },
    { code: JMP | JEQ | K, k: PACKET_OUTGOING, jt: "from_server", jf: "drop" },
    { label: "to_server" },
    { code: LD | H | IND, k: 2 },
    ...portTests(sorted, "whole", "drop"),
    { label: "from_server" },
    { code: LD | H | IND, k: 0 },
    ...portTests(sorted, "headers", "drop"),
    { label: "whole" },
    ret(CLIENT_SEGMENT_SNAP),
    { label: "headers" },
    ret(SERVER_SEGMENT_SNAP),
    { label: "drop" },
    ret(0),
  ]);
}
