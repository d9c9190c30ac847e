import { describe, expect, it } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeFrame, encodeFrame, type HttpFilter, ProtocolError } from "../../src/protocol/index.ts";
import { compileCTest, STRICT_CFLAGS, vectorFiles } from "./support.ts";

const vectors = vectorFiles();

describe("C codec", () => {
  it("compiles standalone with the layer's strict flags", () => {
    expect(() => compileCTest("protocol_vectors", ["mp_dump.c"], STRICT_CFLAGS)).not.toThrow();
  });

  it("decodes every vector to its JSON and re-encodes it to the identical bytes", () => {
    const exe = compileCTest("protocol_vectors", ["mp_dump.c"], STRICT_CFLAGS);
    const run = spawnSync(
      exe,
      vectors.map((v) => v.binPath),
      { encoding: "utf8", timeout: 30_000 },
    );
    const lines = run.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.length).toBe(vectors.length);
    lines.forEach((line, i) => {
      const v = vectors[i];
      expect({ file: line.file, status: line.status, reencoded: line.reencoded }).toEqual({
        file: v?.binPath,
        status: "ok",
        reencoded: true,
      });
      expect(line.frame).toEqual(v?.json);
    });
    expect(run.status).toBe(0);
  });
});

/** Frames each decoder must reject; built with the TS encoder and then damaged on purpose. */
function badFrames(): Record<string, Uint8Array> {
  let deep: HttpFilter = { kind: "path", regex: "/" };
  for (let i = 0; i < 40; i++) deep = { kind: "anyOf", filters: [deep] };
  const hostname = (bytes: number[]): Uint8Array => {
    const frame = encodeFrame({
      requestId: 1n,
      message: { type: "Hostname", hostname: "x".repeat(bytes.length) },
    });
    frame.set(bytes, 18);
    return frame;
  };
  const ping = encodeFrame({ requestId: 0n, message: { type: "Ping" } });
  const badTag = ping.slice();
  badTag[4] = 0xff;
  return {
    "too-deep": encodeFrame({
      requestId: 0n,
      message: {
        type: "Subscribe",
        port: 1,
        mode: "steal",
        filter: deep,
        listenAddress: { kind: "unixUnnamed" },
      },
    }),
    "overlong-utf8": hostname([0xc0, 0xaf]),
    "surrogate-utf8": hostname([0xed, 0xa0, 0x80]),
    "above-max-codepoint": hostname([0xf4, 0x90, 0x80, 0x80]),
    "cut-utf8": hostname([0x61, 0xe2, 0x82]),
    "unknown-tag": badTag,
    "trailing-garbage": Uint8Array.from([...ping, 0]),
    truncated: ping.subarray(0, 9),
    "short-prefix": ping.subarray(0, 2),
  };
}

describe("C and TS decoders on damaged frames", () => {
  it("report the same error code at the same byte offset", () => {
    const dir = mkdtempSync(join(tmpdir(), "mirrord-bad-frames-"));
    const cases = Object.entries(badFrames()).map(([name, bytes]) => {
      const path = join(dir, `${name}.bin`);
      writeFileSync(path, bytes);
      let expected = { status: "ok", offset: 0 };
      try {
        decodeFrame(bytes);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        expected = { status: error.code, offset: error.offset };
      }
      return { name, path, expected };
    });
    expect(cases.map((c) => c.expected.status)).not.toContain("ok");
    const exe = compileCTest("protocol_vectors", ["mp_dump.c"], STRICT_CFLAGS);
    const run = spawnSync(
      exe,
      cases.map((c) => c.path),
      { encoding: "utf8", timeout: 30_000 },
    );
    const got = run.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { status: string; offset: number });
    expect(got.map((g, i) => ({ name: cases[i]?.name, status: g.status, offset: g.offset }))).toEqual(
      cases.map((c) => ({ name: c.name, ...c.expected })),
    );
  });
});
