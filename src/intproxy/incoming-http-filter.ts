/**
 * `feature.network.incoming.http_filter` as the protocol's `HttpFilter` for one stolen port: the filter
 * a `Subscribe` carries, or null when the port is stolen whole (no filter configured, or `ports` lists
 * other ports). The config engine has already rejected conflicting or empty forms.
 */
import type { HttpFilterConfig, InnerHttpFilter } from "../config/feature/network/http-filter.ts";
import type { HttpFilter } from "../protocol/index.ts";

export function httpFilterFor(config: HttpFilterConfig, port: number): HttpFilter | null {
  const filter = topLevel(config);
  if (!filter) return null;
  return config.ports === undefined || config.ports.includes(port) ? filter : null;
}

function topLevel(config: HttpFilterConfig): HttpFilter | null {
  if (config.header_filter !== undefined) return { kind: "header", regex: config.header_filter };
  if (config.path_filter !== undefined) return { kind: "path", regex: config.path_filter };
  if (config.method_filter !== undefined) return { kind: "method", method: config.method_filter };
  if (config.header_filter_jq !== undefined) return { kind: "headerJq", program: config.header_filter_jq };
  if (config.body_filter !== undefined)
    return { kind: "bodyJson", query: config.body_filter.query, matches: config.body_filter.matches };
  if (config.all_of !== undefined) return { kind: "allOf", filters: config.all_of.map(inner) };
  if (config.any_of !== undefined) return { kind: "anyOf", filters: config.any_of.map(inner) };
  return null;
}

function inner(filter: InnerHttpFilter): HttpFilter {
  if ("body" in filter) return { kind: "bodyJson", query: filter.query, matches: filter.matches };
  if ("header" in filter) return { kind: "header", regex: filter.header };
  if ("path" in filter) return { kind: "path", regex: filter.path };
  if ("method" in filter) return { kind: "method", method: filter.method };
  return { kind: "headerJq", program: filter.query };
}
