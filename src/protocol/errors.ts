/** Everything that can be wrong with bytes on the wire, or with a value handed to the encoder. */
export type ProtocolErrorCode =
  | "truncated"
  | "oversized"
  | "frame-too-short"
  | "unknown-tag"
  | "unknown-variant"
  | "bad-enum"
  | "bad-bool"
  | "bad-optional"
  | "bad-utf8"
  | "too-deep"
  | "trailing-bytes"
  | "invalid-value";

/**
 * A typed protocol failure. `offset` is the byte offset inside the frame (counting the length
 * prefix) where decoding stopped; `path` names the field being read or written, e.g. `FileOpen.path`.
 */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";

  constructor(
    readonly code: ProtocolErrorCode,
    readonly detail: string,
    readonly offset: number,
    readonly path = "",
  ) {
    super(`${code}: ${detail}${path ? ` (in ${path})` : ""}${offset >= 0 ? ` at byte ${offset}` : ""}`);
  }
}
