import { describe, expect, test } from "bun:test";
import { ClientStream } from "./client-stream.ts";

const encode = (text: string) => new TextEncoder().encode(text);
const none = new Uint8Array();

function stream(firstSeq: number, maxPendingBytes = 1024) {
  const chunks: string[] = [];
  const s = new ClientStream(
    firstSeq,
    (bytes) => chunks.push(new TextDecoder().decode(bytes)),
    maxPendingBytes,
  );
  return { s, chunks, text: () => chunks.join("") };
}

describe("ClientStream", () => {
  test("delivers in-order segments as they come", () => {
    const { s, chunks } = stream(100);
    expect(s.push(100, encode("hello "), 0, false)).toBe("open");
    expect(s.push(106, encode("world"), 0, false)).toBe("open");
    expect(chunks).toEqual(["hello ", "world"]);
    expect(s.bytesDelivered).toBe(11);
  });

  test("drops retransmissions and the already-delivered part of overlapping segments", () => {
    const { s, chunks } = stream(0);
    s.push(0, encode("abcd"), 0, false);
    s.push(0, encode("abcd"), 0, false);
    s.push(2, encode("cdef"), 0, false);
    s.push(1, encode("b"), 0, false);
    expect(chunks).toEqual(["abcd", "ef"]);
  });

  test("holds out-of-order segments until the gap fills, whatever order they come in", () => {
    const { s, chunks, text } = stream(1000);
    s.push(1008, encode("89"), 0, false);
    s.push(1004, encode("4567"), 0, false);
    expect(chunks).toEqual([]);
    s.push(1004, encode("45"), 0, false); // a shorter duplicate of a held segment
    s.push(1000, encode("0123"), 0, false);
    expect(text()).toBe("0123456789");
    s.push(1006, encode("67"), 0, false);
    expect(text()).toBe("0123456789");
  });

  test("keeps the longer of two held segments that start at the same byte", () => {
    const { s, text } = stream(0);
    s.push(2, encode("cd"), 0, false);
    s.push(2, encode("cdefg"), 0, false);
    s.push(0, encode("ab"), 0, false);
    expect(text()).toBe("abcdefg");
  });

  test("follows sequence numbers across the 2^32 wrap", () => {
    const { s, text } = stream(0xfffffffc);
    s.push(0, encode("ef"), 0, false); // after the wrap: held
    expect(text()).toBe("");
    s.push(0xfffffffc, encode("abcd"), 0, false);
    expect(s.push(2, encode("g"), 0, true)).toBe("finished");
    expect(text()).toBe("abcdefg");
    expect(s.acknowledged(3)).toBe("finished");
  });

  test("finishes once every byte before the FIN is delivered, even when the FIN comes first", () => {
    const { s, text } = stream(0);
    expect(s.push(3, encode("def"), 0, true)).toBe("open");
    expect(s.push(0, encode("abc"), 0, false)).toBe("finished");
    expect(text()).toBe("abcdef");
    expect(s.push(6, encode("late"), 0, false)).toBe("finished");
    expect(text()).toBe("abcdef");
  });

  test("a bare FIN finishes an empty stream", () => {
    expect(stream(50).s.push(50, none, 0, true)).toBe("finished");
  });

  test("bytes the other side acknowledged but this stream never saw are lost", () => {
    const { s } = stream(0);
    s.push(0, encode("abc"), 0, false);
    expect(s.acknowledged(3)).toBe("open");
    expect(s.acknowledged(2)).toBe("open"); // an old ACK
    s.push(6, encode("ghi"), 0, false);
    expect(s.acknowledged(9)).toBe("lost");
    expect(s.push(3, encode("def"), 0, false)).toBe("lost");
  });

  test("acknowledging the FIN itself is not a loss", () => {
    const { s } = stream(0);
    s.push(0, encode("abc"), 0, true);
    expect(s.acknowledged(4)).toBe("finished");
  });

  test("bytes a short capture cut off never arrive: the acknowledgement shows them lost", () => {
    const { s, text } = stream(0);
    s.push(0, encode("abc"), 3, false);
    expect(text()).toBe("abc");
    expect(s.acknowledged(6)).toBe("lost");
  });

  test("too many held bytes behind a gap count as lost", () => {
    const { s } = stream(0, 8);
    expect(s.push(10, encode("12345678"), 0, false)).toBe("open");
    expect(s.push(18, encode("9"), 0, false)).toBe("lost");
  });

  test("a keep-alive probe (one old byte) changes nothing", () => {
    const { s, text } = stream(10);
    s.push(10, encode("ab"), 0, false);
    s.push(11, encode("X"), 0, false);
    expect(text()).toBe("ab");
    expect(s.acknowledged(12)).toBe("open");
  });
});
