import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { HttpFilter } from "../protocol/index.ts";
import { builtWasm } from "./built-wasm.ts";
import { CompiledHttpFilter, type HttpRequestHead, UnsupportedHttpFilter } from "./http-filter.ts";
import { FancyRegexEngine, RegexSyntaxError } from "./regex.ts";

const engine = FancyRegexEngine.fromBytes(builtWasm());
const compiled: CompiledHttpFilter[] = [];
after(() => {
  for (const filter of compiled) filter.free();
});

const text = new TextEncoder();
function request(method: string, uri: string, headers: Record<string, string> = {}): HttpRequestHead {
  return {
    method,
    uri,
    headers: Object.entries(headers).map(([name, value]) => ({ name, value: text.encode(value) })),
  };
}
function filterOf(filter: HttpFilter): CompiledHttpFilter {
  const result = CompiledHttpFilter.compile(engine, filter);
  compiled.push(result);
  return result;
}

describe("CompiledHttpFilter", () => {
  it("header: matches `name: value` lines case-insensitively, unanchored", () => {
    const alice = filterOf({ kind: "header", regex: "x-user: alice" });
    assert.equal(alice.matches(request("GET", "/", { "X-User": "Alice" })), true);
    assert.equal(alice.matches(request("GET", "/", { "X-User": "bob" })), false);
    assert.equal(alice.matches(request("GET", "/")), false);
  });

  it("header: the documented negative look-ahead keeps kube-probe away", () => {
    const notProbe = filterOf({ kind: "header", regex: "^User-Agent: (?!kube-probe)" });
    assert.equal(notProbe.matches(request("GET", "/healthz", { "User-Agent": "kube-probe/1.29" })), false);
    assert.equal(notProbe.matches(request("GET", "/", { "User-Agent": "curl/8.5" })), true);
  });

  it("header: values that are not UTF-8 are not matchable", () => {
    const any = filterOf({ kind: "header", regex: "x-bin: " });
    assert.equal(
      any.matches({
        method: "GET",
        uri: "/",
        headers: [{ name: "x-bin", value: new Uint8Array([0xff, 0xfe]) }],
      }),
      false,
    );
  });

  it("path: the path or the path with its query; absolute-form URIs too", () => {
    const api = filterOf({ kind: "path", regex: "^/api/" });
    assert.equal(api.matches(request("GET", "/api/orders?id=1")), true);
    assert.equal(api.matches(request("GET", "http://svc:8080/api/x")), true);
    assert.equal(api.matches(request("GET", "/web/api/")), false);
    const query = filterOf({ kind: "path", regex: "debug=1$" });
    assert.equal(query.matches(request("GET", "/x?debug=1")), true);
    assert.equal(query.matches(request("OPTIONS", "*")), false);
  });

  it("path: the documented `^(?!/health/)` steals everything but health checks", () => {
    const notHealth = filterOf({ kind: "path", regex: "^(?!/health/)" });
    assert.equal(notHealth.matches(request("GET", "/health/live")), false);
    assert.equal(notHealth.matches(request("GET", "/orders")), true);
  });

  it("method: case-insensitive equality", () => {
    const post = filterOf({ kind: "method", method: "post" });
    assert.equal(post.matches(request("POST", "/")), true);
    assert.equal(post.matches(request("GET", "/")), false);
  });

  it("all_of and any_of combine, short-circuiting", () => {
    const both = filterOf({
      kind: "allOf",
      filters: [
        { kind: "header", regex: "x-user: alice" },
        { kind: "path", regex: "^/api" },
      ],
    });
    assert.equal(both.matches(request("GET", "/api", { "x-user": "alice" })), true);
    assert.equal(both.matches(request("GET", "/web", { "x-user": "alice" })), false);
    const either = filterOf({
      kind: "anyOf",
      filters: [
        { kind: "method", method: "DELETE" },
        { kind: "path", regex: "^/admin" },
      ],
    });
    assert.equal(either.matches(request("DELETE", "/x")), true);
    assert.equal(either.matches(request("GET", "/admin")), true);
    assert.equal(either.matches(request("GET", "/x")), false);
  });

  it("rejects bad patterns, empty combinations and body/jq filters at compile time", () => {
    assert.throws(
      () => CompiledHttpFilter.compile(engine, { kind: "header", regex: "(?<!" }),
      RegexSyntaxError,
    );
    assert.throws(
      () => CompiledHttpFilter.compile(engine, { kind: "anyOf", filters: [] }),
      UnsupportedHttpFilter,
    );
    assert.throws(
      () => CompiledHttpFilter.compile(engine, { kind: "headerJq", program: "true" }),
      UnsupportedHttpFilter,
    );
  });

  it("a pattern that hits the backtrack limit does not match instead of failing the request", () => {
    const pathological = filterOf({ kind: "header", regex: String.raw`^x: (?:(a|aa)+)\1?b` });
    assert.equal(pathological.matches(request("GET", "/", { x: "a".repeat(40) })), false);
    assert.equal(pathological.matches(request("GET", "/", { x: "aab" })), true);
  });
});
