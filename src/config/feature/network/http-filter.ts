/** `feature.network.incoming.http_filter`: which HTTP requests a stealing agent takes. `true` | `false` | object. */
import * as v from "valibot";
import { bool, byShape, listOf, maybe, port, section, str } from "../../schema-kit.ts";

const bodyFilter = section(
  {
    body: v.literal("json"),
    query: str,
    matches: str,
  },
  'Match a JSON body: {"body": "json", "query": <JSONPath>, "matches": <regex>}.',
);

const INNER_KEYS = ["header", "path", "method", "query", "body"] as const;

const innerFilter = byShape(
  {
    object: v.union([
      section({ header: str }, "Header regex."),
      section({ path: str }, "Path regex."),
      section({ method: str }, "HTTP method."),
      section({ query: str }, "jq filter on headers."),
      bodyFilter,
    ]),
  },
  `an object with one of ${INNER_KEYS.join(", ")}`,
  (input) => {
    if ("body" in input) return bodyFilter;
    const key = Object.keys(input).find((k) => (INNER_KEYS as readonly string[]).includes(k)) ?? "";
    return key === "" ? undefined : section({ [key]: str }, `HTTP ${key} filter.`);
  },
);

export type InnerHttpFilter = v.InferOutput<typeof innerFilter>;

const portList = byShape(
  {
    number: v.pipe(
      port,
      v.transform((p) => [p]),
    ),
    array: listOf(port),
  },
  "a port or a list of ports",
);

const httpFilterObject = section(
  {
    header_filter: maybe(str, "Regex on `Name: value` header lines (case-insensitive)."),
    path_filter: maybe(str, "Regex on the request path (with and without query)."),
    method_filter: maybe(str, "HTTP method to match."),
    header_filter_jq: maybe(str, "jq filter on the headers."),
    body_filter: maybe(bodyFilter, "JSON body filter."),
    all_of: maybe(listOf(innerFilter), "All of these filters must match."),
    any_of: maybe(listOf(innerFilter), "Any of these filters must match."),
    ports: maybe(portList, "Ports the filter applies to (default: all ports)."),
  },
  "Steal only HTTP requests that match.",
);

export type HttpFilterConfig = v.InferOutput<typeof httpFilterObject>;

export const httpFilterSchema = byShape(
  {
    boolean: v.pipe(
      bool,
      v.transform((): HttpFilterConfig => ({})),
    ),
    object: httpFilterObject,
  },
  "true, false or an http_filter object",
);
