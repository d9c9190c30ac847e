import { describe, expect, test } from "bun:test";
import {
  assemble,
  CLIENT_SEGMENT_SNAP,
  MAX_FILTER_PORTS,
  mirrorFilter,
  PACKET_HOST,
  PACKET_OUTGOING,
  SERVER_SEGMENT_SNAP,
  type SockFilter,
} from "./bpf.ts";
import { type PacketSpec, tcpPacket } from "./segments.fixture.ts";

/**
 * The subset of the kernel's classic BPF machine the filter uses, run on real packets: how the
 * program's verdicts are checked without root. (The kernel itself runs it in the e2e tests.)
 */
function run(program: readonly SockFilter[], packet: Uint8Array, ethertype: number, pkttype: number): number {
  const bytes = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const load = (size: number, offset: number): number => {
    if (offset >= 0xfffff000) {
      if (offset === 0xfffff000) return ethertype;
      if (offset === 0xfffff004) return pkttype;
      throw new Error(`unknown ancillary load ${offset.toString(16)}`);
    }
    if (offset + size > packet.length) throw new RangeError("out of packet");
    return size === 1
      ? bytes.getUint8(offset)
      : size === 2
        ? bytes.getUint16(offset)
        : bytes.getUint32(offset);
  };
  const sizes: Record<number, number> = { 0: 4, 8: 2, 16: 1 };
  let a = 0;
  let x = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const { code, jt, jf, k } = program[pc] as SockFilter;
    try {
      switch (code & 0x07) {
        case 0x00: // LD
          a =
            (code & 0xe0) === 0x40
              ? load(sizes[code & 0x18] as number, x + k)
              : load(sizes[code & 0x18] as number, k);
          break;
        case 0x01: // LDX
          x = (code & 0xe0) === 0xa0 ? (load(1, k) & 0x0f) * 4 : k;
          break;
        case 0x05: // JMP
          if ((code & 0xf0) === 0x00) pc += k;
          else if ((code & 0xf0) === 0x10) pc += a === k ? jt : jf;
          else if ((code & 0xf0) === 0x40) pc += (a & k) !== 0 ? jt : jf;
          else throw new Error(`unexpected jump ${code}`);
          break;
        case 0x06: // RET
          return k;
        default:
          throw new Error(`unexpected instruction ${code}`);
      }
    } catch (error) {
      if (error instanceof RangeError) return 0; // the kernel drops a packet read past its end
      throw error;
    }
  }
  throw new Error("program fell off its end");
}

const IPV4 = 0x0800;
const IPV6 = 0x86dd;
const filter = mirrorFilter([8080, 9000]);
const verdict = (spec: PacketSpec, pkttype: number, program = filter) =>
  run(program, tcpPacket(spec), spec.family === 6 ? IPV6 : IPV4, pkttype);

describe("mirrorFilter", () => {
  test("keeps whole client segments arriving for a mirrored port, IPv4 and IPv6", () => {
    expect(verdict({ destinationPort: 8080, payload: "GET /" }, PACKET_HOST)).toBe(CLIENT_SEGMENT_SNAP);
    expect(verdict({ destinationPort: 9000 }, PACKET_HOST)).toBe(CLIENT_SEGMENT_SNAP);
    expect(verdict({ family: 6, destinationPort: 9000 }, PACKET_HOST)).toBe(CLIENT_SEGMENT_SNAP);
    expect(verdict({ destinationPort: 8080, ipOptions: 12 }, PACKET_HOST)).toBe(CLIENT_SEGMENT_SNAP);
  });

  test("keeps only the headers of server segments leaving from a mirrored port", () => {
    expect(
      verdict({ sourcePort: 8080, destinationPort: 40000, payload: "HTTP/1.1 200" }, PACKET_OUTGOING),
    ).toBe(SERVER_SEGMENT_SNAP);
    expect(verdict({ family: 6, sourcePort: 9000, destinationPort: 40000 }, PACKET_OUTGOING)).toBe(
      SERVER_SEGMENT_SNAP,
    );
  });

  test("drops the pod's own outgoing connections to a remote port with the same number", () => {
    expect(verdict({ sourcePort: 40000, destinationPort: 8080 }, PACKET_OUTGOING)).toBe(0);
    expect(verdict({ sourcePort: 8080, destinationPort: 40000 }, PACKET_HOST)).toBe(0);
  });

  test("drops other ports, other protocols, fragments and other packet types", () => {
    expect(verdict({ destinationPort: 8081 }, PACKET_HOST)).toBe(0);
    expect(verdict({ sourcePort: 8081, destinationPort: 40000 }, PACKET_OUTGOING)).toBe(0);
    expect(verdict({ destinationPort: 8080, protocol: 17 }, PACKET_HOST)).toBe(0);
    expect(verdict({ family: 6, destinationPort: 8080, protocol: 17 }, PACKET_HOST)).toBe(0);
    expect(verdict({ destinationPort: 8080, fragmentOffset: 100 }, PACKET_HOST)).toBe(0);
    expect(verdict({ destinationPort: 8080 }, 1 /* PACKET_BROADCAST */)).toBe(0);
    expect(run(filter, tcpPacket({ destinationPort: 8080 }), 0x0806, PACKET_HOST)).toBe(0);
  });

  test("drops everything when no port is mirrored", () => {
    expect(verdict({ destinationPort: 8080 }, PACKET_HOST, mirrorFilter([]))).toBe(0);
  });

  test("fits the most ports it accepts and rejects what is not a port list", () => {
    const ports = Array.from({ length: MAX_FILTER_PORTS }, (_, index) => 10_000 + index);
    const wide = mirrorFilter(ports);
    expect(verdict({ destinationPort: 10_000 + MAX_FILTER_PORTS - 1 }, PACKET_HOST, wide)).toBe(
      CLIENT_SEGMENT_SNAP,
    );
    expect(verdict({ sourcePort: 10_000, destinationPort: 1 }, PACKET_OUTGOING, wide)).toBe(
      SERVER_SEGMENT_SNAP,
    );
    expect(() => mirrorFilter([...ports, 1])).toThrow(`at most ${MAX_FILTER_PORTS}`);
    expect(() => mirrorFilter([0])).toThrow("cannot mirror port 0");
    expect(() => mirrorFilter([70000])).toThrow("cannot mirror port 70000");
  });
});

describe("assemble", () => {
  test("turns labels into forward offsets", () => {
    expect(
      assemble([
        { code: 0x15, k: 1, jt: "yes", jf: "no" },
        { label: "yes" },
        { code: 0x05, k: 0, jt: "no" },
        { code: 0x06, k: 1 },
        { label: "no" },
        { code: 0x06, k: 0 },
      ]),
    ).toEqual([
      { code: 0x15, jt: 0, jf: 2, k: 1 },
      { code: 0x05, jt: 0, jf: 0, k: 1 },
      { code: 0x06, jt: 0, jf: 0, k: 1 },
      { code: 0x06, jt: 0, jf: 0, k: 0 },
    ]);
  });

  test("rejects unknown, duplicate, backward and too-long jumps", () => {
    expect(() => assemble([{ code: 0x15, k: 0, jt: "nowhere" }])).toThrow("'nowhere' is not defined");
    expect(() => assemble([{ label: "a" }, { label: "a" }])).toThrow("'a' is defined twice");
    expect(() => assemble([{ label: "a" }, { code: 0x15, k: 0, jt: "a" }])).toThrow("goes backwards");
    const far = Array.from({ length: 256 }, () => ({ code: 0x06, k: 0 }));
    expect(() =>
      assemble([{ code: 0x15, k: 0, jt: "end" }, ...far, { label: "end" }, { code: 0x06, k: 0 }]),
    ).toThrow("longer than 255");
  });
});
