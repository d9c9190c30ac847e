/**
 * HTTP headers between node:http/node:http2 and the protocol's `HttpHeader` list. Used by the agent
 * (requests out, responses in) and by the intproxy (requests in, responses out), so both ends drop the
 * same hop-by-hop headers and let their own HTTP stack frame the message.
 */
import type { HttpHeader, HttpVersion } from "../../../protocol/index.ts";

/** Connection-level headers: they describe one hop, and HTTP/2 forbids them. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "upgrade",
  "http2-settings",
]);
/** Kept on the requests and responses of an upgrade, which only work over HTTP/1.1 with them. */
const UPGRADE_HEADERS = new Set(["connection", "upgrade"]);

/** node's `rawHeaders` (name, value, name, value…; latin1 strings) without HTTP/2 pseudo-headers. */
export function fromRawHeaders(raw: readonly string[]): HttpHeader[] {
  const headers: HttpHeader[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (!name.startsWith(":"))
      headers.push({ name, value: Uint8Array.from(Buffer.from(raw[i + 1] as string, "latin1")) });
  }
  return headers;
}

/** Headers for node to send on the next hop: lowercase names; a repeated name becomes a list. */
export function toOutgoingHeaders(
  headers: readonly HttpHeader[],
  options: { upgrade?: boolean; drop?: readonly string[] } = {},
): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const { name, value } of headers) {
    const lower = name.toLowerCase();
    if (lower.startsWith(":") || options.drop?.includes(lower)) continue;
    if (HOP_BY_HOP.has(lower) && !(options.upgrade && UPGRADE_HEADERS.has(lower))) continue;
    const text = Buffer.from(value).toString("latin1");
    const earlier = result[lower];
    if (earlier === undefined) result[lower] = text;
    else if (Array.isArray(earlier)) earlier.push(text);
    else result[lower] = [earlier, text];
  }
  return result;
}

/** node's `httpVersion` ("1.1", "2.0"…) as the protocol's enum. */
export function versionOf(httpVersion: string): HttpVersion {
  switch (httpVersion) {
    case "2.0":
      return "http2";
    case "1.0":
      return "http10";
    case "0.9":
      return "http09";
    default:
      return "http11";
  }
}

/** An HTTP/1.1 message head as bytes: `start line`, then the headers, then the blank line. */
export function renderHead(startLine: string, headers: Readonly<Record<string, string | string[]>>): Buffer {
  let text = `${startLine}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    for (const item of Array.isArray(value) ? value : [value]) text += `${name}: ${item}\r\n`;
  }
  return Buffer.from(`${text}\r\n`, "latin1");
}
