import { describe, expect, it } from "bun:test";
import { spawnSync } from "node:child_process";
import { decodeFrame, encodeFrame, FrameDecoder, ProtocolError } from "../../src/protocol/index.ts";
import { Mutator, VerdictDigest, XorShift32 } from "./mutate.ts";
import { compileCTest, vectorFiles } from "./support.ts";

const FRAMES = 1_000_000;
const SEED = 0x5eed1234;
const vectors = vectorFiles();

interface FuzzSummary {
  frames: number;
  digest: string;
  reencodeFailures: number;
  counts: Record<string, number>;
}

/** Runs the mutated frames through the TS decoder; any exception other than ProtocolError fails. */
function fuzzTs(frames: number, seed: number): FuzzSummary {
  const mutator = new Mutator(
    vectors.map((v) => v.bin),
    seed,
  );
  const digest = new VerdictDigest();
  const counts: Record<string, number> = {};
  let reencodeFailures = 0;
  for (let i = 0; i < frames; i++) {
    const frame = mutator.next();
    let verdict = "ok";
    let offset = 0;
    try {
      const decoded = decodeFrame(frame);
      if (!Buffer.from(encodeFrame(decoded)).equals(frame)) reencodeFailures++;
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      verdict = error.code;
      offset = error.offset;
    }
    counts[verdict] = (counts[verdict] ?? 0) + 1;
    digest.add(verdict, offset);
  }
  return { frames, digest: digest.hex, reencodeFailures, counts };
}

function fuzzC(frames: number, seed: number): FuzzSummary {
  const exe = compileCTest(
    "protocol_fuzz",
    [],
    [
      "-std=c11",
      "-Wall",
      "-Wextra",
      "-Werror",
      "-O1",
      "-g",
      "-fsanitize=address,undefined",
      "-fno-sanitize-recover=all",
    ],
  );
  const run = spawnSync(exe, [String(frames), String(seed), ...vectors.map((v) => v.binPath)], {
    encoding: "utf8",
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`C fuzz harness failed (status ${run.status}):\n${run.stderr}`);
  const summary = JSON.parse(run.stdout) as FuzzSummary;
  summary.counts = Object.fromEntries(Object.entries(summary.counts).filter(([, n]) => n > 0));
  return summary;
}

describe("protocol decoders under fuzzing", () => {
  it(`C decoder (ASan+UBSan) and TS decoder survive ${FRAMES} mutated frames with identical verdicts`, () => {
    const c = fuzzC(FRAMES, SEED);
    const ts = fuzzTs(FRAMES, SEED);
    console.log(`protocol fuzz: C ${JSON.stringify(c)}`);
    console.log(`protocol fuzz: TS ${JSON.stringify(ts)}`);
    expect(c.reencodeFailures).toBe(0);
    expect(ts.reencodeFailures).toBe(0);
    expect(c.counts.ok ?? 0).toBeGreaterThan(FRAMES / 20);
    expect(ts.counts).toEqual(c.counts);
    expect(ts.digest).toBe(c.digest);
  }, 60_000);

  it("streaming decoder only ever throws ProtocolError, whatever the chunking", () => {
    const mutator = new Mutator(
      vectors.map((v) => v.bin),
      SEED ^ 0xffff,
    );
    const split = new XorShift32(7);
    let frames = 0;
    let errors = 0;
    for (let i = 0; i < 20_000; i++) {
      const bytes = mutator.next().slice();
      const decoder = new FrameDecoder();
      try {
        for (let at = 0; at < bytes.length; ) {
          const n = 1 + split.below(bytes.length - at);
          decoder.push(bytes.subarray(at, at + n));
          at += n;
          while (decoder.next()) frames++;
        }
        decoder.end();
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        errors++;
      }
    }
    expect(frames).toBeGreaterThan(0);
    expect(errors).toBeGreaterThan(0);
  }, 30_000);
});
