import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { builtWasm } from "./built-wasm.ts";
import {
  FancyRegexEngine,
  FancyRegexEngineError,
  RegexMatchError,
  RegexSyntaxError,
  validateFancyRegex,
} from "./regex.ts";

const engine = FancyRegexEngine.fromBytes(builtWasm());

function matches(pattern: string, text: string, caseInsensitive = false): boolean {
  const regex = engine.compile(pattern, { caseInsensitive });
  try {
    return regex.test(text);
  } finally {
    regex.free();
  }
}

describe("documented HTTP filter examples (compiled case-insensitive, as the agent does)", () => {
  it("header filter with negative look-ahead skips kube-probe and keeps other agents", () => {
    const filter = engine.compile("^User-Agent: (?!kube-probe)", { caseInsensitive: true });
    assert.equal(filter.test("user-agent: curl/8"), true);
    assert.equal(filter.test("User-Agent: curl/8"), true);
    assert.equal(filter.test("user-agent: kube-probe/1.29"), false);
    assert.equal(filter.test("user-agent: KUBE-PROBE/1.29"), false);
    assert.equal(filter.test("accept: */*"), false);
    filter.free();
  });

  it("path filter with negative look-ahead steals everything but /health/", () => {
    const filter = engine.compile("^(?!/health/)", { caseInsensitive: true });
    assert.equal(filter.test("/api/users"), true);
    assert.equal(filter.test("/health"), true);
    assert.equal(filter.test("/health/live"), false);
    assert.equal(filter.test("/HEALTH/live"), false);
    filter.free();
  });

  it("header value filter matches regardless of case, anywhere in the line", () => {
    assert.equal(matches("x-user: alice", "X-User: Alice", true), true);
    assert.equal(matches("x-user: alice", "x-user: alice-smith", true), true);
    assert.equal(matches("x-user: alice", "x-user: bob", true), false);
  });

  it("is case-sensitive unless asked otherwise", () => {
    assert.equal(matches("x-user: alice", "X-User: Alice"), false);
    assert.equal(matches("x-user: alice", "x-user: alice"), true);
  });
});

describe("fancy features plain regex engines lack", () => {
  it("numbered and named back-references", () => {
    assert.equal(matches(String.raw`^(\w+)-\1$`, "abc-abc"), true);
    assert.equal(matches(String.raw`^(\w+)-\1$`, "abc-abd"), false);
    assert.equal(matches(String.raw`^(?P<word>\w+) (?P=word)$`, "echo echo"), true);
    assert.equal(matches(String.raw`^(?P<word>\w+) (?P=word)$`, "echo ech0"), false);
  });

  it("look-behind", () => {
    assert.equal(matches("(?<=/v1)/users", "/v1/users"), true);
    assert.equal(matches("(?<=/v1)/users", "/v2/users"), false);
  });
});

describe("unicode", () => {
  it("matches code points, not UTF-16 units or bytes", () => {
    assert.equal(matches("^a.b$", "a😀b"), true);
    assert.equal(matches("^.{3}$", "日本語"), true);
    assert.equal(matches(String.raw`^héllo\s\p{Greek}+$`, "héllo αβγ"), true);
  });

  it("folds case beyond ASCII when case-insensitive", () => {
    assert.equal(matches("^école (?!fermée)", "ÉCOLE OUVERTE", true), true);
    assert.equal(matches("^école (?!fermée)", "ÉCOLE FERMÉE", true), false);
  });
});

describe("inputs of any size", () => {
  it("matches the empty pattern against the empty string", () => {
    assert.equal(matches("", ""), true);
  });

  it("handles haystacks far larger than the reusable input buffer", () => {
    const body = `${"x".repeat(200_000)}needle`;
    assert.equal(matches("(?<=x)needle$", body), true);
    assert.equal(matches("(?<=y)needle$", body), false);
  });
});

describe("errors", () => {
  it("invalid patterns throw RegexSyntaxError with fancy-regex's reason", () => {
    assert.throws(
      () => engine.compile("(unclosed"),
      (error: unknown) =>
        error instanceof RegexSyntaxError &&
        error.pattern === "(unclosed" &&
        error.reason === "Opening parenthesis without closing parenthesis" &&
        error.message.includes("(unclosed"),
    );
  });

  it("validateFancyRegex returns the reason, or undefined for a valid pattern", () => {
    assert.equal(validateFancyRegex(engine, "^(?!/health/)"), undefined);
    assert.equal(validateFancyRegex(engine, "(?<=a+)b"), "Look-behind assertion without constant size");
    assert.match(validateFancyRegex(engine, "a{2,1}") ?? "", /invalid repetition count range/);
    assert.match(
      validateFancyRegex(engine, String.raw`\p{NoSuchScript}`) ?? "",
      /Unicode property not found/,
    );
  });

  it("a pathological pattern reports the backtrack limit instead of answering false", () => {
    const regex = engine.compile(String.raw`^(?:(a|aa)+)\1?b`);
    assert.throws(
      () => regex.test("a".repeat(40)),
      (error: unknown) =>
        error instanceof RegexMatchError && /backtracking count exceeded/.test(error.reason),
    );
    // The engine survives: the same regex still answers on benign input.
    assert.equal(regex.test("aab"), true);
    regex.free();
  });

  it("a freed regex cannot be used, and freeing twice is harmless", () => {
    const regex = engine.compile("a");
    regex.free();
    regex.free();
    assert.throws(() => regex.test("a"), FancyRegexEngineError);
  });

  it("bytes that are not the fancy-regex module are rejected", () => {
    assert.throws(
      () => FancyRegexEngine.fromBytes(new TextEncoder().encode("not wasm")),
      FancyRegexEngineError,
    );
  });
});

describe("memory", () => {
  it("stays bounded over 10,000 compile/match/free cycles", { timeout: 60_000 }, () => {
    const cycle = (count: number) => {
      for (let i = 0; i < count; i++) {
        const regex = engine.compile(String.raw`^(?!/health/${i})/api/(\d+)/\1`);
        assert.equal(regex.test(`/api/${i}/${i}`), true);
        regex.free();
      }
    };
    cycle(200);
    const settled = engine.memoryBytes;
    cycle(10_000);
    assert.equal(engine.memoryBytes, settled);
  });
});
