/**
 * A byte stream that outlives the connection carrying it. Each side numbers the bytes it sends, keeps
 * them until the peer acknowledges them, and after a drop both sides resume on a new carrier by
 * retransmitting what the other did not get. The protocol frames above it never notice.
 *
 * Wire: a carrier opens with `RESUMABLE_MAGIC`, then records `[type u8][length u32 LE][payload]`.
 * The client sends OPEN (new stream) or RESUME{id, token, received}; the server answers ACCEPT{id, token,
 * received}; then DATA, ACK{received}, END{sent} (clean end of one direction), ABORT{reason} flow.
 * Pure node:stream, so it runs under Bun and Deno.
 */
import { Duplex } from "node:stream";
import type { ByteStream } from "./byte-stream.ts";

/** Opens every resumable carrier; its 4th byte is not 0, which no plain protocol frame's can be. */
export const RESUMABLE_MAGIC: Uint8Array = new TextEncoder().encode("mirrord-resumable/1\n");
export const STREAM_ID_BYTES = 16;
export const TOKEN_BYTES = 32;
/** Largest DATA payload; larger writes are split. */
export const MAX_DATA_BYTES = 64 * 1024;
const MAX_REASON_BYTES = 1024;
const HEADER_BYTES = 5;
/** Acknowledge at least this often (bytes), and within ACK_DELAY_MS of any receipt. */
const ACK_EVERY_BYTES = 64 * 1024;
const ACK_DELAY_MS = 10;
/** Unacknowledged bytes above which the writer gets back-pressure. */
export const DEFAULT_UNACKED_LIMIT = 8 * 1024 * 1024;

export class ResumableError extends Error {
  override readonly name: string = "ResumableError";
}

/** The peer sent ABORT{reason}: it refused or ended the stream on purpose. */
export class PeerAborted extends ResumableError {
  override readonly name = "PeerAborted";
}

export type ResumableRecord =
  | { type: "open" }
  | { type: "resume"; id: Uint8Array; token: Uint8Array; received: number }
  | { type: "accept"; id: Uint8Array; token: Uint8Array; received: number }
  | { type: "data"; bytes: Uint8Array }
  | { type: "ack"; received: number }
  | { type: "end"; sent: number }
  | { type: "abort"; reason: string };

const TYPE_CODES = { open: 1, resume: 2, accept: 3, data: 4, ack: 5, end: 6, abort: 7 } as const;
const TYPE_NAMES = Object.fromEntries(
  Object.entries(TYPE_CODES).map(([name, code]) => [code, name]),
) as Record<number, ResumableRecord["type"]>;
const TICKET_BYTES = STREAM_ID_BYTES + TOKEN_BYTES + 8;

export type Sniffed = "resumable" | "plain" | "undecided";

/** Whether a connection's first bytes are the resumable magic (decided by 4 bytes at most). */
export function sniffResumable(first: Uint8Array): Sniffed {
  const length = Math.min(first.length, RESUMABLE_MAGIC.length);
  for (let i = 0; i < length; i++) if (first[i] !== RESUMABLE_MAGIC[i]) return "plain";
  return length === RESUMABLE_MAGIC.length ? "resumable" : "undecided";
}

function u64(view: DataView, offset: number, what: string): number {
  const value = view.getBigUint64(offset, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ResumableError(`${what} ${value} is out of range`);
  return Number(value);
}

function ticket(id: Uint8Array, token: Uint8Array, received: number): Uint8Array {
  const payload = new Uint8Array(TICKET_BYTES);
  payload.set(id, 0);
  payload.set(token, STREAM_ID_BYTES);
  new DataView(payload.buffer).setBigUint64(STREAM_ID_BYTES + TOKEN_BYTES, BigInt(received), true);
  return payload;
}

function counter(value: number): Uint8Array {
  const payload = new Uint8Array(8);
  new DataView(payload.buffer).setBigUint64(0, BigInt(value), true);
  return payload;
}

function payloadOf(record: ResumableRecord): Uint8Array {
  switch (record.type) {
    case "open":
      return new Uint8Array(0);
    case "resume":
    case "accept":
      return ticket(record.id, record.token, record.received);
    case "data":
      return record.bytes;
    case "ack":
      return counter(record.received);
    case "end":
      return counter(record.sent);
    case "abort":
      return new TextEncoder().encode(record.reason).subarray(0, MAX_REASON_BYTES);
  }
}

export function encodeRecord(record: ResumableRecord): Uint8Array {
  const payload = payloadOf(record);
  const bytes = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, TYPE_CODES[record.type]);
  view.setUint32(1, payload.length, true);
  bytes.set(payload, HEADER_BYTES);
  return bytes;
}

function expectLength(type: string, actual: number, min: number, max = min): void {
  if (actual < min || actual > max)
    throw new ResumableError(
      `${type.toUpperCase()} record of ${actual} bytes (expected ${min === max ? min : `${min}..${max}`})`,
    );
}

function decodePayload(type: ResumableRecord["type"], payload: Uint8Array): ResumableRecord {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  switch (type) {
    case "open":
      expectLength(type, payload.length, 0);
      return { type };
    case "resume":
    case "accept":
      expectLength(type, payload.length, TICKET_BYTES);
      return {
        type,
        id: payload.slice(0, STREAM_ID_BYTES),
        token: payload.slice(STREAM_ID_BYTES, STREAM_ID_BYTES + TOKEN_BYTES),
        received: u64(view, STREAM_ID_BYTES + TOKEN_BYTES, "received count"),
      };
    case "data":
      expectLength(type, payload.length, 1, MAX_DATA_BYTES);
      return { type, bytes: payload };
    case "ack":
      expectLength(type, payload.length, 8);
      return { type, received: u64(view, 0, "acknowledged count") };
    case "end":
      expectLength(type, payload.length, 8);
      return { type, sent: u64(view, 0, "final count") };
    case "abort":
      expectLength(type, payload.length, 0, MAX_REASON_BYTES);
      return { type, reason: new TextDecoder().decode(payload) };
  }
}

/** A DATA record as header + the caller's bytes, without copying them. */
function writeData(carrier: ByteStream, bytes: Uint8Array): void {
  const header = new Uint8Array(HEADER_BYTES);
  const view = new DataView(header.buffer);
  view.setUint8(0, TYPE_CODES.data);
  view.setUint32(1, bytes.length, true);
  carrier.write(header);
  carrier.write(bytes);
}

/** Reassembles records from carrier chunks; throws `ResumableError` on anything malformed. */
export class RecordDecoder {
  private buffer: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): void {
    if (this.buffer.length === 0) {
      this.buffer = chunk;
      return;
    }
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer, 0);
    joined.set(chunk, this.buffer.length);
    this.buffer = joined;
  }

  next(): ResumableRecord | undefined {
    if (this.buffer.length < HEADER_BYTES) return undefined;
    const view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    const type = TYPE_NAMES[view.getUint8(0)];
    if (!type) throw new ResumableError(`unknown record type ${view.getUint8(0)}`);
    const length = view.getUint32(1, true);
    if (length > MAX_DATA_BYTES)
      throw new ResumableError(`${type.toUpperCase()} record of ${length} bytes exceeds ${MAX_DATA_BYTES}`);
    if (this.buffer.length < HEADER_BYTES + length) return undefined;
    // A view, not a copy: the buffer is never written to, only replaced.
    const payload = this.buffer.subarray(HEADER_BYTES, HEADER_BYTES + length);
    this.buffer = this.buffer.subarray(HEADER_BYTES + length);
    return decodePayload(type, payload);
  }
}

/** Compares secrets in time independent of where they differ. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number);
  return difference === 0;
}

/**
 * Waits for the first record on a fresh carrier (the handshake). Leaves later bytes in `decoder`.
 * Rejects on close, timeout, malformed bytes, or an ABORT (with the peer's reason).
 */
export function readHandshake(
  carrier: ByteStream,
  decoder: RecordDecoder,
  timeoutMs: number,
  what: string,
): Promise<ResumableRecord> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => settle(new ResumableError(`no ${what} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    let settled = false;
    const settle = (outcome: ResumableRecord | Error) => {
      settled = true;
      clearTimeout(timer);
      // Paused, so no chunk after the handshake is emitted before the stream's own listener is on.
      carrier.pause();
      carrier.off("data", onData);
      carrier.off("close", onClose);
      carrier.off("error", onClose);
      if (outcome instanceof Error) reject(outcome);
      else if (outcome.type === "abort") reject(new PeerAborted(outcome.reason));
      else resolve(outcome);
    };
    const onData = (chunk: Uint8Array) => {
      try {
        decoder.push(chunk);
        const record = decoder.next();
        if (record) settle(record);
      } catch (error) {
        settle(error as Error);
      }
    };
    const onClose = () => settle(new ResumableError(`the connection closed before the ${what}`));
    carrier.on("data", onData);
    carrier.on("close", onClose);
    carrier.on("error", onClose);
    // The record may already be in the decoder (it came with the bytes before it).
    onData(new Uint8Array(0));
    if (!settled) carrier.resume();
  });
}

export interface ResumableStreamOptions {
  id: Uint8Array;
  token: Uint8Array;
  /** Unacknowledged bytes above which writes wait for the peer (default 8 MiB). */
  unackedLimit?: number;
}

/**
 * The application's side: a Duplex whose bytes survive carrier drops. `attach` puts it on a carrier
 * after the handshake; when the carrier goes it emits `parked` (with why) and keeps every write until
 * the next `attach`. Destroying it sends ABORT, so the peer ends at once instead of waiting.
 */
export class ResumableStream extends Duplex {
  readonly id: Uint8Array;
  readonly token: Uint8Array;
  private readonly unackedLimit: number;
  private carrier: ByteStream | null = null;
  private detachCarrier: (() => void) | null = null;
  /** Bytes written by the application / acknowledged by the peer / received from the peer. */
  private sent = 0;
  private acked = 0;
  private received = 0;
  private ackSent = 0;
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  /** Chunks covering [acked, sent). */
  private unacked: Uint8Array[] = [];
  private waitingWrite: (() => void) | null = null;
  private localEnded = false;
  private remoteEnded = false;
  private carrierPaused = false;

  constructor(options: ResumableStreamOptions) {
    super({ allowHalfOpen: true });
    this.id = options.id;
    this.token = options.token;
    this.unackedLimit = options.unackedLimit ?? DEFAULT_UNACKED_LIMIT;
  }

  /** Bytes received so far: what a RESUME / ACCEPT reports. */
  get receivedCount(): number {
    return this.received;
  }

  get isAttached(): boolean {
    return this.carrier !== null;
  }

  /** Net-socket look-alikes, for code written against node:net (FramedSocket). */
  setNoDelay(): this {
    return this;
  }
  remoteAddress = "resumable";
  remotePort = 0;

  /**
   * Continues on `carrier` (after its handshake) given how much the peer has received; retransmits the
   * rest. Throws `ResumableError` when that count is impossible (the caller refuses the carrier).
   */
  attach(carrier: ByteStream, decoder: RecordDecoder, peerReceived: number): void {
    const refusal = this.resumeRefusal(peerReceived);
    if (refusal) throw new ResumableError(refusal);
    this.detach(null);
    this.trimAcked(peerReceived);
    this.carrier = carrier;
    const onData = (chunk: Uint8Array) => this.carrierData(decoder, chunk);
    const onGone = (error?: Error) => {
      if (this.carrier === carrier) this.detach(error?.message ?? "the connection closed");
    };
    carrier.on("data", onData);
    carrier.on("close", onGone);
    carrier.on("error", onGone);
    carrier.on("end", () => onGone());
    this.detachCarrier = () => {
      carrier.off("data", onData);
      carrier.destroy();
    };
    for (const chunk of this.unacked) writeData(carrier, chunk);
    if (this.localEnded) carrier.write(encodeRecord({ type: "end", sent: this.sent }));
    this.sendAck();
    this.carrierPaused = false;
    this.carrierData(decoder, new Uint8Array(0));
    if (!this.carrierPaused) carrier.resume();
  }

  /** Why the peer cannot have received `peerReceived` bytes, if it cannot. */
  resumeRefusal(peerReceived: number): string | undefined {
    if (peerReceived >= this.acked && peerReceived <= this.sent) return undefined;
    return `impossible received count ${peerReceived}: ${this.acked} bytes were already acknowledged and ${this.sent} sent`;
  }

  /** Drops the carrier; `reason` null when a newer one replaces it (no `parked` then). */
  private detach(reason: string | null): void {
    if (!this.carrier) return;
    this.carrier = null;
    this.detachCarrier?.();
    this.detachCarrier = null;
    if (reason !== null && !this.destroyed) this.emit("parked", reason);
  }

  private carrierData(decoder: RecordDecoder, chunk: Uint8Array): void {
    try {
      decoder.push(chunk);
      for (let record = decoder.next(); record && !this.destroyed; record = decoder.next())
        this.receive(record);
    } catch (error) {
      this.fail(error as Error);
    }
  }

  private receive(record: ResumableRecord): void {
    switch (record.type) {
      case "data":
        if (this.remoteEnded) throw new ResumableError("DATA after END");
        this.received += record.bytes.length;
        if (!this.push(record.bytes) && this.carrier && !this.carrierPaused) {
          this.carrierPaused = true;
          this.carrier.pause();
        }
        this.scheduleAck();
        return;
      case "ack":
        if (record.received < this.acked || record.received > this.sent)
          throw new ResumableError(
            `ACK of ${record.received} bytes, but ${this.acked} were already acknowledged and ${this.sent} sent`,
          );
        this.trimAcked(record.received);
        this.finishIfDone();
        return;
      case "end":
        if (record.sent !== this.received)
          throw new ResumableError(`END after ${record.sent} bytes, but ${this.received} arrived`);
        if (!this.remoteEnded) {
          this.remoteEnded = true;
          this.push(null);
        }
        this.sendAck();
        this.finishIfDone();
        return;
      case "abort":
        this.destroy(new ResumableError(`the peer ended the stream: ${record.reason}`));
        return;
      default:
        throw new ResumableError(`unexpected ${record.type.toUpperCase()} record on an open stream`);
    }
  }

  /** Malformed or impossible input: tell the peer why, then end. */
  private fail(error: Error): void {
    this.carrier?.write(encodeRecord({ type: "abort", reason: error.message }));
    this.destroy(error);
  }

  private trimAcked(count: number): void {
    let drop = count - this.acked;
    this.acked = count;
    while (drop > 0) {
      const head = this.unacked[0] as Uint8Array;
      if (head.length <= drop) {
        this.unacked.shift();
        drop -= head.length;
      } else {
        this.unacked[0] = head.subarray(drop);
        drop = 0;
      }
    }
    if (this.waitingWrite && this.sent - this.acked <= this.unackedLimit) {
      const resume = this.waitingWrite;
      this.waitingWrite = null;
      resume();
    }
  }

  private scheduleAck(): void {
    if (this.received - this.ackSent >= ACK_EVERY_BYTES) this.sendAck();
    else this.ackTimer ??= setTimeout(() => this.sendAck(), ACK_DELAY_MS);
  }

  private sendAck(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    if (!this.carrier) return;
    this.ackSent = this.received;
    this.carrier.write(encodeRecord({ type: "ack", received: this.received }));
  }

  /** Both directions ended and everything acknowledged: the carrier has nothing left to do. */
  private finishIfDone(): void {
    if (this.localEnded && this.remoteEnded && this.acked === this.sent && this.carrier) {
      const carrier = this.carrier;
      this.carrier = null;
      this.detachCarrier = null;
      carrier.end();
    }
  }

  override _write(chunk: Uint8Array, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    for (let offset = 0; offset < chunk.length; offset += MAX_DATA_BYTES) {
      const bytes = chunk.subarray(offset, offset + MAX_DATA_BYTES);
      this.unacked.push(bytes);
      this.sent += bytes.length;
      if (this.carrier) writeData(this.carrier, bytes);
    }
    if (this.sent - this.acked > this.unackedLimit) this.waitingWrite = () => done();
    else done();
  }

  override _final(done: (error?: Error | null) => void): void {
    this.localEnded = true;
    this.carrier?.write(encodeRecord({ type: "end", sent: this.sent }));
    this.finishIfDone();
    done();
  }

  override _read(): void {
    if (this.carrierPaused) {
      this.carrierPaused = false;
      this.carrier?.resume();
    }
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    const carrier = this.carrier;
    this.carrier = null;
    if (carrier) {
      const clean = this.localEnded && this.remoteEnded && this.acked === this.sent;
      if (!clean) carrier.write(encodeRecord({ type: "abort", reason: error?.message ?? "stream closed" }));
      carrier.end();
      setTimeout(() => carrier.destroy(), 1_000).unref?.();
    }
    done(error);
  }
}
