/**
 * Deciding whether an HTTP request is stolen (agent-kube.md §5.8): a filter tree of header, path and
 * method tests combined with all_of / any_of, regexes compiled once with fancy-regex, case-insensitive.
 */
import type { HttpFilter, HttpHeader } from "../protocol/index.ts";
import { type FancyRegex, type FancyRegexEngine, RegexMatchError } from "./regex.ts";

export interface HttpRequestHead {
  method: string;
  /** As on the request line (origin form `/p?q`, absolute form, or `*`), or HTTP/2's `:path`. */
  uri: string;
  headers: readonly HttpHeader[];
}

export class UnsupportedHttpFilter extends Error {
  override readonly name = "UnsupportedHttpFilter";
}

type Test = (request: PreparedRequest) => boolean;

interface PreparedRequest {
  method: string;
  /** `name: value` per header, lowercase names; values that are not UTF-8 are left out. */
  headerLines: string[];
  path: string | undefined;
  pathAndQuery: string | undefined;
}

/** A compiled filter: `matches` any number of requests, then `free` its regexes. */
export class CompiledHttpFilter {
  private constructor(
    private readonly test: Test,
    private readonly regexes: FancyRegex[],
  ) {}

  /** @throws RegexSyntaxError for a bad pattern, UnsupportedHttpFilter for body/jq filters. */
  static compile(engine: FancyRegexEngine, filter: HttpFilter): CompiledHttpFilter {
    const regexes: FancyRegex[] = [];
    try {
      return new CompiledHttpFilter(build(engine, filter, regexes), regexes);
    } catch (error) {
      for (const regex of regexes) regex.free();
      throw error;
    }
  }

  matches(request: HttpRequestHead): boolean {
    return this.test(prepare(request));
  }

  free(): void {
    for (const regex of this.regexes) regex.free();
    this.regexes.length = 0;
  }
}

function build(engine: FancyRegexEngine, filter: HttpFilter, regexes: FancyRegex[]): Test {
  const compile = (pattern: string) => {
    const regex = engine.compile(pattern, { caseInsensitive: true });
    regexes.push(regex);
    return regex;
  };
  switch (filter.kind) {
    case "header": {
      const regex = compile(filter.regex);
      return (request) => request.headerLines.some((line) => safeTest(regex, line));
    }
    case "path": {
      const regex = compile(filter.regex);
      return ({ path, pathAndQuery }) =>
        path !== undefined &&
        (safeTest(regex, path) || (pathAndQuery !== undefined && safeTest(regex, pathAndQuery)));
    }
    case "method": {
      const wanted = filter.method.toUpperCase();
      return (request) => request.method.toUpperCase() === wanted;
    }
    case "allOf":
    case "anyOf": {
      if (filter.filters.length === 0)
        throw new UnsupportedHttpFilter(`${filter.kind} needs at least one filter`);
      const tests = filter.filters.map((inner) => build(engine, inner, regexes));
      return filter.kind === "allOf"
        ? (request) => tests.every((test) => test(request))
        : (request) => tests.some((test) => test(request));
    }
    case "bodyJson":
    case "headerJq":
      throw new UnsupportedHttpFilter(`${filter.kind} filters are not supported yet`);
  }
}

/** A regex that gives up (backtrack limit) does not match: the request keeps going to the pod. */
function safeTest(regex: FancyRegex, text: string): boolean {
  try {
    return regex.test(text);
  } catch (error) {
    if (error instanceof RegexMatchError) return false;
    throw error;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function prepare({ method, uri, headers }: HttpRequestHead): PreparedRequest {
  const headerLines: string[] = [];
  for (const { name, value } of headers) {
    try {
      headerLines.push(`${name.toLowerCase()}: ${utf8.decode(value)}`);
    } catch {
      // not UTF-8: not matchable, as in mirrord
    }
  }
  return { method, headerLines, ...pathOf(uri) };
}

function pathOf(uri: string): { path: string | undefined; pathAndQuery: string | undefined } {
  if (uri.startsWith("/")) {
    const query = uri.indexOf("?");
    return { path: query === -1 ? uri : uri.slice(0, query), pathAndQuery: uri };
  }
  try {
    const url = new URL(uri);
    return { path: url.pathname, pathAndQuery: url.pathname + url.search };
  } catch {
    return { path: undefined, pathAndQuery: undefined }; // `*` or authority form: no path
  }
}
