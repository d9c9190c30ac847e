import { describe, expect, test } from "bun:test";
import { httpFilterFor } from "./incoming-http-filter.ts";

describe("httpFilterFor", () => {
  test("no filter configured: the port is stolen whole", () => {
    expect(httpFilterFor({}, 80)).toBeNull();
  });

  test("single forms become one filter", () => {
    expect(httpFilterFor({ header_filter: "^x-user: alice$" }, 80)).toEqual({
      kind: "header",
      regex: "^x-user: alice$",
    });
    expect(httpFilterFor({ path_filter: "^/api" }, 80)).toEqual({ kind: "path", regex: "^/api" });
    expect(httpFilterFor({ method_filter: "POST" }, 80)).toEqual({ kind: "method", method: "POST" });
  });

  test("all_of / any_of keep their order and inner kinds", () => {
    expect(
      httpFilterFor({ all_of: [{ header: "x-user: a" }, { path: "^/p" }, { method: "GET" }] }, 80),
    ).toEqual({
      kind: "allOf",
      filters: [
        { kind: "header", regex: "x-user: a" },
        { kind: "path", regex: "^/p" },
        { kind: "method", method: "GET" },
      ],
    });
    expect(
      httpFilterFor({ any_of: [{ body: "json", query: "$.a", matches: "1" }, { query: "." }] }, 80),
    ).toEqual({
      kind: "anyOf",
      filters: [
        { kind: "bodyJson", query: "$.a", matches: "1" },
        { kind: "headerJq", program: "." },
      ],
    });
  });

  test("`ports` filters only the listed ports; others are stolen whole", () => {
    const config = { header_filter: "x", ports: [8080, 9090] };
    expect(httpFilterFor(config, 8080)).toEqual({ kind: "header", regex: "x" });
    expect(httpFilterFor(config, 80)).toBeNull();
  });
});
