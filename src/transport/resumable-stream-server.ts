/**
 * The accepting side of resumable streams (the agent): OPEN makes a stream with a fresh id and token,
 * RESUME{id, token, received} puts a parked stream on the new connection. A stream left without a
 * connection for the grace period is destroyed, which ends whatever runs over it.
 */
import { randomBytes } from "node:crypto";
import type { ByteStream } from "./byte-stream.ts";
import {
  encodeRecord,
  RESUMABLE_MAGIC,
  RecordDecoder,
  ResumableError,
  ResumableStream,
  readHandshake,
  STREAM_ID_BYTES,
  sameBytes,
  sniffResumable,
  TOKEN_BYTES,
} from "./resumable-stream.ts";

const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface ResumableServerOptions {
  /** How long a stream waits for a RESUME after its connection dropped. */
  graceMs: number;
  /** A new stream (after OPEN); its session runs over it as over a socket. */
  onStream(stream: ResumableStream): void;
  /** A refused RESUME or a stream given up, for the log. */
  onNotice?(message: string, fields: Record<string, string | number>): void;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class ResumableServer {
  private readonly streams = new Map<string, ResumableStream>();
  private readonly graceTimers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly options: ResumableServerOptions) {}

  /** Number of live streams (attached or parked). */
  get size(): number {
    return this.streams.size;
  }

  /**
   * Looks at a new connection's first bytes: the resumable magic → served here; anything else (or
   * nothing within the handshake timeout) → `plain(socket)` with those bytes put back, as if unread.
   * The socket flows again right after `plain` returns: it must put its readers on synchronously.
   */
  route<S extends ByteStream>(socket: S, plain: (socket: S) => void): void {
    let seen = new Uint8Array(0);
    const decide = (verdict: "resumable" | "plain") => {
      clearTimeout(timer);
      socket.pause();
      socket.off("data", onData);
      if (verdict === "plain") {
        if (seen.length > 0) socket.unshift(seen);
        plain(socket);
        socket.resume();
        return;
      }
      const decoder = new RecordDecoder();
      decoder.push(seen.subarray(RESUMABLE_MAGIC.length));
      void this.accept(socket, decoder);
    };
    const onData = (chunk: Uint8Array) => {
      const joined = new Uint8Array(seen.length + chunk.length);
      joined.set(seen, 0);
      joined.set(chunk, seen.length);
      seen = joined;
      const verdict = sniffResumable(seen);
      if (verdict !== "undecided") decide(verdict);
    };
    const timer = setTimeout(() => decide("plain"), HANDSHAKE_TIMEOUT_MS);
    timer.unref?.();
    socket.on("data", onData);
  }

  /** Serves `carrier`, whose magic has been read; `decoder` holds whatever followed it. */
  async accept(carrier: ByteStream, decoder: RecordDecoder): Promise<void> {
    let first: Awaited<ReturnType<typeof readHandshake>>;
    try {
      first = await readHandshake(carrier, decoder, HANDSHAKE_TIMEOUT_MS, "OPEN or RESUME");
    } catch (error) {
      this.refuse(carrier, (error as Error).message);
      return;
    }
    if (first.type === "open") this.open(carrier, decoder);
    else if (first.type === "resume") this.resume(carrier, decoder, first.id, first.token, first.received);
    else this.refuse(carrier, `expected OPEN or RESUME, got ${first.type.toUpperCase()}`);
  }

  /** Destroys every stream (the agent is stopping). */
  closeAll(reason: string): void {
    for (const stream of [...this.streams.values()]) stream.destroy(new ResumableError(reason));
  }

  private open(carrier: ByteStream, decoder: RecordDecoder): void {
    const id = new Uint8Array(randomBytes(STREAM_ID_BYTES));
    const token = new Uint8Array(randomBytes(TOKEN_BYTES));
    const stream = new ResumableStream({ id, token });
    const key = hex(id);
    this.streams.set(key, stream);
    stream.on("parked", (reason: string) => this.park(key, stream, reason));
    stream.on("close", () => {
      this.streams.delete(key);
      this.clearGrace(key);
    });
    stream.on("error", () => {});
    carrier.write(encodeRecord({ type: "accept", id, token, received: 0 }));
    stream.attach(carrier, decoder, 0);
    this.options.onStream(stream);
  }

  private resume(
    carrier: ByteStream,
    decoder: RecordDecoder,
    id: Uint8Array,
    token: Uint8Array,
    peerReceived: number,
  ): void {
    const key = hex(id);
    const stream = this.streams.get(key);
    const refusal = !stream
      ? "unknown stream (it ended, or the agent restarted)"
      : !sameBytes(token, stream.token)
        ? "wrong token for this stream"
        : stream.resumeRefusal(peerReceived);
    if (!stream || refusal) {
      this.refuse(carrier, refusal ?? "", key);
      return;
    }
    carrier.write(encodeRecord({ type: "accept", id, token, received: stream.receivedCount }));
    stream.attach(carrier, decoder, peerReceived);
    this.clearGrace(key);
    this.options.onNotice?.("stream resumed", { stream: key, peerReceived });
  }

  private park(key: string, stream: ResumableStream, reason: string): void {
    this.clearGrace(key);
    const seconds = this.options.graceMs / 1000;
    this.options.onNotice?.("stream parked", { stream: key, reason, graceSeconds: seconds });
    const timer = setTimeout(() => {
      this.graceTimers.delete(key);
      if (!stream.isAttached)
        stream.destroy(
          new ResumableError(`the connection dropped (${reason}) and was not resumed within ${seconds} s`),
        );
    }, this.options.graceMs);
    this.graceTimers.set(key, timer);
  }

  private clearGrace(key: string): void {
    const timer = this.graceTimers.get(key);
    if (timer) clearTimeout(timer);
    this.graceTimers.delete(key);
  }

  private refuse(carrier: ByteStream, reason: string, stream = "?"): void {
    this.options.onNotice?.("resume refused", { stream, reason });
    if (!carrier.destroyed) carrier.end(encodeRecord({ type: "abort", reason }));
    setTimeout(() => carrier.destroy(), 1_000).unref?.();
  }
}
