/**
 * Framing: `u32 LE length` (bytes after the prefix), then the header `u16 LE message tag`,
 * `u64 LE request id`, then the message fields. The length is checked against the maximum before
 * any buffer is allocated for the frame.
 */
import { decodeFields, encodeFields, type Value } from "./codec.ts";
import { ProtocolError } from "./errors.ts";
import { messagesByName, messagesByTag } from "./registry.ts";
import type { Frame, Message } from "./types.gen.ts";
import { Reader, Writer } from "./wire.ts";

/** Largest allowed frame, counted after the length prefix. */
export const MAX_FRAME_SIZE = 16 * 1024 * 1024;
export const LENGTH_PREFIX_SIZE = 4;
/** Message tag (u16) + request id (u64). */
export const HEADER_SIZE = 10;

type Fields = { readonly [key: string]: Value };

export function encodeFrame(frame: Frame, maxFrameSize = MAX_FRAME_SIZE): Uint8Array {
  return writeFrame(frame, maxFrameSize).finish();
}

/**
 * The frame as consecutive parts, written out in order: a large byte field (a relayed chunk) is its
 * caller's own buffer, not a copy, so it must not change until written.
 */
export function encodeFrameParts(frame: Frame, maxFrameSize = MAX_FRAME_SIZE): Uint8Array[] {
  return writeFrame(frame, maxFrameSize).finishParts();
}

function writeFrame(frame: Frame, maxFrameSize: number): Writer {
  const { type, ...fields } = frame.message;
  const def = messagesByName.get(type);
  if (!def) throw new ProtocolError("invalid-value", `unknown message type ${String(type)}`, -1);
  const w = new Writer();
  w.u32(0);
  w.u16(def.tag);
  w.u64(frame.requestId);
  encodeFields(w, def.fields, fields as unknown as Fields, [def.name]);
  const length = w.pos - LENGTH_PREFIX_SIZE;
  if (length > maxFrameSize)
    throw new ProtocolError("oversized", `${def.name} frame of ${length} bytes exceeds ${maxFrameSize}`, -1);
  w.patchU32(0, length);
  return w;
}

/** Validates a frame's declared length; `offset` is where the prefix starts. */
export function checkFrameLength(length: number, maxFrameSize: number, offset = 0): void {
  if (length > maxFrameSize)
    throw new ProtocolError(
      "oversized",
      `frame declares ${length} bytes, maximum is ${maxFrameSize}`,
      offset,
    );
  if (length < HEADER_SIZE)
    throw new ProtocolError(
      "frame-too-short",
      `frame declares ${length} bytes, header needs ${HEADER_SIZE}`,
      offset,
    );
}

/** Decodes exactly one whole frame (length prefix included); anything else is an error. */
export function decodeFrame(bytes: Uint8Array, maxFrameSize = MAX_FRAME_SIZE): Frame {
  if (bytes.length < LENGTH_PREFIX_SIZE)
    throw new ProtocolError("truncated", `length prefix needs 4 bytes, got ${bytes.length}`, 0);
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  checkFrameLength(length, maxFrameSize);
  const end = LENGTH_PREFIX_SIZE + length;
  if (bytes.length < end)
    throw new ProtocolError(
      "truncated",
      `frame declares ${length} bytes, only ${bytes.length - 4} present`,
      bytes.length,
    );
  if (bytes.length > end)
    throw new ProtocolError("trailing-bytes", `${bytes.length - end} bytes after the frame`, end);
  const r = new Reader(bytes, LENGTH_PREFIX_SIZE, end);
  const tag = r.u16();
  const def = messagesByTag.get(tag);
  if (!def)
    throw new ProtocolError("unknown-tag", `unknown message tag 0x${tag.toString(16)}`, LENGTH_PREFIX_SIZE);
  const requestId = r.u64();
  r.path.push(def.name);
  const fields = decodeFields(r, def.fields, 0);
  if (r.pos !== end) r.fail("trailing-bytes", `${end - r.pos} bytes left after the last field`);
  return { requestId, message: { type: def.name, ...fields } as unknown as Message };
}

/**
 * Streaming decoder: `push` any chunks as they arrive, then call `next()` until it returns null.
 * A frame error is thrown by the `next()` that reaches it (frames before it are still delivered);
 * after that the stream is unusable and every call throws the same error.
 */
export class FrameDecoder {
  private readonly chunks: Uint8Array[] = [];
  private readonly prefix = new Uint8Array(LENGTH_PREFIX_SIZE);
  private prefixFill = 0;
  private frame: Uint8Array | null = null;
  private frameFill = 0;
  private failure: ProtocolError | null = null;
  private buffered = 0;

  constructor(private readonly maxFrameSize = MAX_FRAME_SIZE) {}

  /** `chunk` is kept, not copied: large payloads are handed out as views of it, so never reuse it. */
  push(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** Bytes received but not yet returned as frames. */
  get pendingBytes(): number {
    return this.buffered + (this.frame ? this.frameFill : this.prefixFill);
  }

  next(): Frame | null {
    if (this.failure) throw this.failure;
    try {
      return this.assemble();
    } catch (error) {
      if (error instanceof ProtocolError) this.failure = error;
      throw error;
    }
  }

  /** Call at end of stream: a partial frame left over means the peer hung up mid-frame. */
  end(): void {
    if (this.failure) throw this.failure;
    if (this.pendingBytes > 0)
      throw new ProtocolError(
        "truncated",
        `stream ended inside a frame (${this.pendingBytes} bytes pending)`,
        -1,
      );
  }

  private assemble(): Frame | null {
    if (!this.frame && this.prefixFill === 0) {
      const whole = this.takeWholeFrame();
      if (whole) return decodeFrame(whole, this.maxFrameSize);
    }
    if (!this.frame) {
      this.prefixFill += this.fill(this.prefix, this.prefixFill);
      if (this.prefixFill < LENGTH_PREFIX_SIZE) return null;
      const length = new DataView(this.prefix.buffer).getUint32(0, true);
      checkFrameLength(length, this.maxFrameSize);
      this.frame = new Uint8Array(LENGTH_PREFIX_SIZE + length);
      this.frame.set(this.prefix);
      this.frameFill = LENGTH_PREFIX_SIZE;
    }
    this.frameFill += this.fill(this.frame, this.frameFill);
    if (this.frameFill < this.frame.length) return null;
    const whole = this.frame;
    this.frame = null;
    this.prefixFill = 0;
    return decodeFrame(whole, this.maxFrameSize);
  }

  /** The next frame when the head chunk holds all of it: decoded in place, nothing copied. */
  private takeWholeFrame(): Uint8Array | null {
    const head = this.chunks[0];
    if (!head || head.length < LENGTH_PREFIX_SIZE) return null;
    const length = new DataView(head.buffer, head.byteOffset, LENGTH_PREFIX_SIZE).getUint32(0, true);
    checkFrameLength(length, this.maxFrameSize);
    const size = LENGTH_PREFIX_SIZE + length;
    if (head.length < size) return null;
    if (head.length === size) this.chunks.shift();
    else this.chunks[0] = head.subarray(size);
    this.buffered -= size;
    return head.subarray(0, size);
  }

  /** Moves queued bytes into `target` from `at`; returns how many were moved. */
  private fill(target: Uint8Array, at: number): number {
    let moved = 0;
    while (at + moved < target.length && this.chunks.length > 0) {
      const head = this.chunks[0] as Uint8Array;
      const n = Math.min(head.length, target.length - at - moved);
      target.set(head.subarray(0, n), at + moved);
      moved += n;
      if (n === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(n);
    }
    this.buffered -= moved;
    return moved;
  }
}
