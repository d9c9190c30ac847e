import { describe, expect, test } from "bun:test";
import { parseTcpSegment } from "./packet.ts";
import { tcpPacket } from "./segments.fixture.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("parseTcpSegment", () => {
  test("reads addresses, ports, sequence numbers, flags and payload of an IPv4 segment", () => {
    const segment = parseTcpSegment(
      tcpPacket({ seq: 0xfffffff0, ack: 7, flags: "PA", payload: "GET / HTTP/1.1\r\n", sourcePort: 51000 }),
    );
    expect(segment).not.toBeNull();
    expect([...(segment?.sourceIp ?? [])]).toEqual([10, 244, 3, 2]);
    expect([...(segment?.destinationIp ?? [])]).toEqual([10, 244, 1, 2]);
    expect(segment?.sourcePort).toBe(51000);
    expect(segment?.destinationPort).toBe(8080);
    expect(segment?.seq).toBe(0xfffffff0);
    expect(segment?.ack).toBe(7);
    expect(segment?.flags).toEqual({ fin: false, syn: false, rst: false, ack: true });
    expect(text(segment?.payload ?? new Uint8Array())).toBe("GET / HTTP/1.1\r\n");
    expect(segment?.missingBytes).toBe(0);
  });

  test("skips IPv4 and TCP options", () => {
    const segment = parseTcpSegment(tcpPacket({ ipOptions: 8, tcpOptions: 12, flags: "SF", payload: "x" }));
    expect(segment?.destinationPort).toBe(8080);
    expect(segment?.flags.syn && segment.flags.fin).toBe(true);
    expect(text(segment?.payload ?? new Uint8Array())).toBe("x");
  });

  test("reads an IPv6 segment", () => {
    const segment = parseTcpSegment(
      tcpPacket({ family: 6, source: "fd00::3:2", destination: "fd00::1:2", flags: "R", payload: "hi" }),
    );
    expect([...(segment?.sourceIp ?? [])]).toEqual([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 2]);
    expect(segment?.destinationIp[13]).toBe(1);
    expect(segment?.flags.rst).toBe(true);
    expect(text(segment?.payload ?? new Uint8Array())).toBe("hi");
  });

  test("reports payload bytes a short capture cut off, from the wire length or the IP header", () => {
    const whole = tcpPacket({ payload: "0123456789" });
    const cut = parseTcpSegment(whole.subarray(0, whole.length - 4), whole.length);
    expect(text(cut?.payload ?? new Uint8Array())).toBe("012345");
    expect(cut?.missingBytes).toBe(4);
    const headersOnly = parseTcpSegment(whole.subarray(0, 40));
    expect(headersOnly?.payload.length).toBe(0);
    expect(headersOnly?.missingBytes).toBe(10);
    const v6 = tcpPacket({ family: 6, payload: "0123456789" });
    expect(parseTcpSegment(v6.subarray(0, 60))?.missingBytes).toBe(10);
  });

  test("ignores link padding after the IP packet's end", () => {
    const padded = new Uint8Array(80);
    const packet = tcpPacket({ payload: "ab" });
    padded.set(packet);
    expect(text(parseTcpSegment(padded)?.payload ?? new Uint8Array())).toBe("ab");
  });

  test("treats a GSO super-packet's zero IPv4 total length as its captured length", () => {
    const packet = tcpPacket({ payload: "big" });
    new DataView(packet.buffer).setUint16(2, 0);
    expect(text(parseTcpSegment(packet)?.payload ?? new Uint8Array())).toBe("big");
  });

  test("returns null for anything that is not a whole TCP header", () => {
    const bad: [string, Uint8Array][] = [
      ["empty", new Uint8Array()],
      ["not IP", new Uint8Array([0x20, 0, 0, 0])],
      ["short IPv4 header", tcpPacket().subarray(0, 19)],
      ["short IPv6 header", tcpPacket({ family: 6 }).subarray(0, 39)],
      ["short TCP header", tcpPacket().subarray(0, 30)],
      ["UDP", tcpPacket({ protocol: 17 })],
      ["IPv6 extension header", tcpPacket({ family: 6, protocol: 0 })],
      ["non-first fragment", tcpPacket({ fragmentOffset: 185 })],
    ];
    for (const [what, packet] of bad)
      expect({ what, parsed: parseTcpSegment(packet) }).toEqual({ what, parsed: null });

    const badIhl = tcpPacket();
    badIhl[0] = 0x44;
    expect(parseTcpSegment(badIhl)).toBeNull();
    const longerThanCaptured = tcpPacket({ payload: "abc" });
    new DataView(longerThanCaptured.buffer).setUint16(2, 500);
    expect(parseTcpSegment(longerThanCaptured, longerThanCaptured.length)).toBeNull();
    const v6LongerThanCaptured = tcpPacket({ family: 6 });
    expect(parseTcpSegment(v6LongerThanCaptured, v6LongerThanCaptured.length - 1)).toBeNull();
    const badDataOffset = tcpPacket();
    badDataOffset[32] = 0x40;
    expect(parseTcpSegment(badDataOffset)).toBeNull();
    const dataOffsetPastEnd = tcpPacket();
    dataOffsetPastEnd[32] = 0xf0;
    expect(parseTcpSegment(dataOffsetPastEnd)).toBeNull();
  });
});
