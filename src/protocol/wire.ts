/** Little-endian byte cursors: `Reader` over a received frame, `Writer` growing an outgoing one. */
import { ProtocolError, type ProtocolErrorCode } from "./errors.ts";

const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** A field (or a finished frame) is handed out as a view of a buffer it fills at least 1/VIEW_MIN_SHARE of. */
const VIEW_MIN_SHARE = 2;

/**
 * Reads fields from one frame. `end` bounds every read so a lying length can never reach past the
 * frame; `path` is the stack of field names being read, reported in errors.
 */
export class Reader {
  private readonly view: DataView;
  readonly path: string[] = [];
  pos: number;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }

  fail(code: ProtocolErrorCode, detail: string, offset = this.pos): never {
    throw new ProtocolError(code, detail, offset, this.path.join("."));
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private take(size: number): number {
    if (size > this.remaining) this.fail("truncated", `needs ${size} bytes, ${this.remaining} remain`);
    const at = this.pos;
    this.pos += size;
    return at;
  }

  u8(): number {
    return this.view.getUint8(this.take(1));
  }
  u16(): number {
    return this.view.getUint16(this.take(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  i32(): number {
    return this.view.getInt32(this.take(4), true);
  }
  u64(): bigint {
    return this.view.getBigUint64(this.take(8), true);
  }
  i64(): bigint {
    return this.view.getBigInt64(this.take(8), true);
  }

  /**
   * Raw bytes: a view when they are most of the buffer they sit in (a relayed chunk: copying it would
   * only double the garbage), a copy otherwise, so a small field never pins a large receive buffer.
   */
  raw(size: number): Uint8Array {
    const at = this.take(size);
    if (size * VIEW_MIN_SHARE >= this.bytes.buffer.byteLength) return this.bytes.subarray(at, at + size);
    return this.bytes.slice(at, at + size);
  }

  /** A u32 length or count, checked against what is left before anything is allocated for it. */
  length(minItemSize: number, what: string): number {
    const at = this.pos;
    const count = this.u32();
    if (count * minItemSize > this.remaining)
      this.fail(
        "truncated",
        `${what} of ${count} needs at least ${count * minItemSize} bytes, ${this.remaining} remain`,
        at,
      );
    return count;
  }

  utf8(size: number): string {
    const at = this.pos;
    const raw = this.bytes.subarray(at, at + size);
    this.take(size);
    try {
      return utf8Decoder.decode(raw);
    } catch {
      return this.fail("bad-utf8", "string is not valid UTF-8", at);
    }
  }
}

/** A raw value at least this long is kept by reference as its own part instead of copied in. */
export const BY_REFERENCE_MIN_BYTES = 64 << 10;

export class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  /** Bytes in `buf`. */
  private fill = 0;
  /** What was written before `buf`: filled buffers and large raw values, in order. */
  private readonly parts: Uint8Array[] = [];
  private partBytes = 0;

  /** Bytes written so far. */
  get pos(): number {
    return this.partBytes + this.fill;
  }

  /** Reserves `size` bytes in `buf` and returns where they start; may replace `buf`/`view`, so call it first. */
  private room(size: number): number {
    if (this.fill + size > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, this.fill + size));
      grown.set(this.buf.subarray(0, this.fill));
      this.buf = grown;
      this.view = new DataView(grown.buffer);
    }
    const at = this.fill;
    this.fill += size;
    return at;
  }

  u8(v: number): void {
    const at = this.room(1);
    this.view.setUint8(at, v);
  }
  u16(v: number): void {
    const at = this.room(2);
    this.view.setUint16(at, v, true);
  }
  u32(v: number): void {
    const at = this.room(4);
    this.view.setUint32(at, v, true);
  }
  i32(v: number): void {
    const at = this.room(4);
    this.view.setInt32(at, v, true);
  }
  u64(v: bigint): void {
    const at = this.room(8);
    this.view.setBigUint64(at, v, true);
  }
  i64(v: bigint): void {
    const at = this.room(8);
    this.view.setBigInt64(at, v, true);
  }
  /** Copies `v` in, or (when large) keeps it as a part of its own: it must not change until written out. */
  raw(v: Uint8Array): void {
    if (v.length < BY_REFERENCE_MIN_BYTES) {
      const at = this.room(v.length);
      this.buf.set(v, at);
      return;
    }
    this.closeBuffer();
    this.parts.push(v);
    this.partBytes += v.length;
  }
  /** Overwrites a u32 already written (the frame length, once the body size is known). */
  patchU32(at: number, v: number): void {
    let offset = at;
    for (const part of this.parts) {
      if (offset < part.length) {
        new DataView(part.buffer, part.byteOffset, part.length).setUint32(offset, v, true);
        return;
      }
      offset -= part.length;
    }
    this.view.setUint32(offset, v, true);
  }
  /**
   * The bytes written, in one buffer. A frame whose last field is a large payload fills the buffer its
   * growth allocated, so it is handed out as is instead of copied once more.
   */
  finish(): Uint8Array {
    if (this.parts.length === 0) {
      if (this.fill * VIEW_MIN_SHARE >= this.buf.length) return this.buf.subarray(0, this.fill);
      return this.buf.slice(0, this.fill);
    }
    const whole = new Uint8Array(this.pos);
    let at = 0;
    for (const part of this.finishParts()) {
      whole.set(part, at);
      at += part.length;
    }
    return whole;
  }
  /** The bytes written as they lie: large raw values are the caller's own buffers, not copies. */
  finishParts(): Uint8Array[] {
    this.closeBuffer();
    return this.parts;
  }

  private closeBuffer(): void {
    if (this.fill === 0) return;
    this.parts.push(this.buf.subarray(0, this.fill));
    this.partBytes += this.fill;
    this.buf = new Uint8Array(256);
    this.view = new DataView(this.buf.buffer);
    this.fill = 0;
  }
}
