import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BUILT_IN_EXCLUDES, globMatches, parseEnviron, selectEnv } from "./env-filter.ts";

describe("globMatches", () => {
  it("matches * as any run (empty too) and ? as exactly one character", () => {
    assert.equal(globMatches("DB_*", "DB_"), true);
    assert.equal(globMatches("DB_*", "DB_HOST"), true);
    assert.equal(globMatches("*_URL", "REDIS_URL"), true);
    assert.equal(globMatches("A*B*C", "AxxBxBxC"), true);
    assert.equal(globMatches("A*B*C", "AxxBxBx"), false);
    assert.equal(globMatches("V?", "V1"), true);
    assert.equal(globMatches("V?", "V"), false);
    assert.equal(globMatches("V?", "V12"), false);
    assert.equal(globMatches("*", ""), true);
    assert.equal(globMatches("", ""), true);
    assert.equal(globMatches("", "X"), false);
  });
  it("is case-sensitive and gives [ { ! / no special meaning", () => {
    assert.equal(globMatches("db_*", "DB_HOST"), false);
    assert.equal(globMatches("[AB]", "A"), false);
    assert.equal(globMatches("[AB]", "[AB]"), true);
    assert.equal(globMatches("a/*", "a/b/c"), true);
    assert.equal(globMatches("!X", "!X"), true);
  });
  it("stays fast on patterns that make naive backtracking explode", () => {
    const started = performance.now();
    assert.equal(globMatches(`${"*a".repeat(30)}b`, "a".repeat(5_000)), false);
    assert.ok(performance.now() - started < 1_000);
  });
});

describe("selectEnv", () => {
  const env = new Map([
    ["APP_MODE", "cluster"],
    ["DB_HOST", "db"],
    ["DB_PASSWORD", "secret"],
    ["PATH", "/usr/bin"],
    ["HOME", "/root"],
    ["JAVA_HOME", "/jdk"],
    ["lower", "x"],
  ]);
  const names = (include: string[], exclude: string[]) =>
    selectEnv(env, { include, exclude }).map(([n]) => n);

  it("returns everything but the built-in exclusions when nothing is asked for", () => {
    assert.deepEqual(names([], []), ["APP_MODE", "DB_HOST", "DB_PASSWORD", "lower"]);
  });
  it("keeps only included names, minus excluded ones", () => {
    assert.deepEqual(names(["DB_*"], []), ["DB_HOST", "DB_PASSWORD"]);
    assert.deepEqual(names(["DB_*", "APP_?ODE"], ["*PASSWORD"]), ["APP_MODE", "DB_HOST"]);
    assert.deepEqual(names([], ["DB_*"]), ["APP_MODE", "lower"]);
  });
  it("never returns a built-in exclusion, even when included by name", () => {
    assert.deepEqual(names(["PATH", "HOME", "JAVA_HOME"], []), []);
    assert.ok(BUILT_IN_EXCLUDES.includes("RUST_LOG") && BUILT_IN_EXCLUDES.includes("_JAVA_OPTIONS"));
  });
  it("carries values through unchanged", () => {
    assert.deepEqual(selectEnv(env, { include: ["DB_HOST"], exclude: [] }), [["DB_HOST", "db"]]);
  });
});

describe("parseEnviron", () => {
  it("splits on NUL and on the first = only, skipping entries without a name", () => {
    const env = parseEnviron("A=1\0B=x=y\0EMPTY=\0=nameless\0junk\0");
    assert.deepEqual(
      [...env],
      [
        ["A", "1"],
        ["B", "x=y"],
        ["EMPTY", ""],
      ],
    );
  });
});
