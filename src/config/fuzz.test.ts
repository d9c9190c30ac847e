/** 10,000 generated malformed configs: nothing crashes, and every error names a field path or a line. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "./errors.ts";
import { loadText } from "./test-support.ts";

/** Small deterministic PRNG so a failure reproduces. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = [
  "target",
  "feature",
  "env",
  "fs",
  "network",
  "incoming",
  "mode",
  "agent",
  "image",
  "ports",
  "http_filter",
  "outgoing",
  "filter",
  "remote",
  "local",
  "dns",
  "port_mapping",
  "copy_target",
  "ttl",
  "namespace",
  "path",
  "pod",
  "any_of",
  "all_of",
  "header_filter",
  "skip_processes",
  "internal_proxy",
  "x̸̢",
  "🦀",
  "__proto__",
  "constructor",
];
const ODD = [
  "",
  "stael",
  "pod/",
  "pod/x/y",
  "label/",
  "targetless",
  "{{",
  "}}",
  "\u0000",
  "\ud800",
  "ｓｔｅａｌ",
  "a".repeat(5000),
];

function value(rand: () => number, depth: number): unknown {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const roll = rand();
  if (depth > 4 || roll < 0.15) return pick([true, false, null, 0, -1, 65536, 1.5, 1e308]);
  if (roll < 0.35) return pick(ODD);
  if (roll < 0.5) return Array.from({ length: Math.floor(rand() * 3) }, () => value(rand, depth + 1));
  const object: Record<string, unknown> = {};
  for (let i = Math.floor(rand() * 4); i > 0; i--) object[pick(KEYS)] = value(rand, depth + 1);
  return object;
}

function text(rand: () => number): string {
  const json = JSON.stringify({
    feature: value(rand, 0),
    target: value(rand, 2),
    [KEYS[Math.floor(rand() * KEYS.length)] ?? "x"]: value(rand, 1),
  });
  const roll = rand();
  if (roll < 0.1) return json.slice(0, Math.floor(rand() * json.length));
  if (roll < 0.2) return json.replace('"', '"{{ nope(name="x") }}');
  if (roll < 0.25) return json.replace(":", ': {{ get_env(name="UNSET_FUZZ_VAR") }}');
  return json;
}

describe("fuzzed configs", () => {
  it("never crash and always name a field or a line", async () => {
    const rand = prng(20_240_601);
    const deadline = Date.now() + 20_000;
    let failures = 0;
    let count = 0;
    for (; count < 10_000 && Date.now() < deadline; count++) {
      const input = text(rand);
      const file = ["c.json", "c.yaml", "c.toml"][count % 3] ?? "c.json";
      try {
        await loadText(input, {}, file);
      } catch (error) {
        failures++;
        assert.ok(error instanceof ConfigError, `not a ConfigError for ${input}: ${String(error)}`);
        assert.ok(error.path !== undefined || error.line !== undefined, `no path or line: ${error.message}`);
      }
    }
    assert.equal(count, 10_000, "ran out of time before 10,000 configs");
    assert.ok(failures > 5_000, `most fuzzed configs must be rejected, only ${failures} were`);
  });
});
