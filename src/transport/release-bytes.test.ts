import { describe, expect, it } from "bun:test";
import { RELEASE_MIN_BYTES, releaseBytes } from "./release-bytes.ts";

describe("releaseBytes", () => {
  it("frees a large chunk that owns its whole buffer", () => {
    const chunk = new Uint8Array(RELEASE_MIN_BYTES).fill(7);
    releaseBytes(chunk);
    expect(chunk.buffer.byteLength).toBe(0);
    expect(chunk.length).toBe(0);
  });

  it("leaves alone a slice of a larger buffer, whose other bytes someone may still read", () => {
    const shared = new Uint8Array(RELEASE_MIN_BYTES * 2).fill(7);
    releaseBytes(shared.subarray(0, RELEASE_MIN_BYTES));
    releaseBytes(shared.subarray(RELEASE_MIN_BYTES));
    expect(shared.length).toBe(RELEASE_MIN_BYTES * 2);
    expect(shared[RELEASE_MIN_BYTES * 2 - 1]).toBe(7);
  });

  it("leaves small chunks to the garbage collector, and a released chunk can be released again", () => {
    const small = new Uint8Array(RELEASE_MIN_BYTES - 1);
    releaseBytes(small);
    expect(small.length).toBe(RELEASE_MIN_BYTES - 1);
    const chunk = new Uint8Array(RELEASE_MIN_BYTES);
    releaseBytes(chunk);
    releaseBytes(chunk);
    expect(chunk.length).toBe(0);
  });
});
