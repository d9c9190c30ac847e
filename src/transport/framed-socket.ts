/**
 * One protocol peer over a byte stream (node:net, which Bun and Deno both provide): decodes incoming
 * frames, encodes outgoing ones, and reports the end of the stream exactly once with its cause.
 */
import { Socket } from "node:net";
import { NativeStream } from "../platform/index.ts";
import {
  encodeFrameParts,
  type Frame,
  FrameDecoder,
  type Message,
  ProtocolError,
} from "../protocol/index.ts";
import type { ByteStream } from "./byte-stream.ts";
import { releaseBytes } from "./release-bytes.ts";

export type SocketEnd =
  | { kind: "closed" } // the peer hung up cleanly
  | { kind: "malformed"; error: ProtocolError } // undecodable bytes; `Close` was sent before hanging up
  | { kind: "error"; error: Error } // transport failure
  | { kind: "local"; reason: string }; // we closed it

export interface FramedSocketHandlers {
  onFrame(frame: Frame): void;
  onEnd(end: SocketEnd): void;
}

export function describeEnd(end: SocketEnd): string {
  switch (end.kind) {
    case "closed":
      return "connection closed by peer";
    case "malformed":
      return `malformed frame: ${end.error.message}`;
    case "error":
      return end.error.message;
    case "local":
      return end.reason;
  }
}

export class FramedSocket {
  private readonly decoder = new FrameDecoder();
  private ended = false;
  private drainWaiters: (() => void)[] = [];
  /**
   * A kernel socket is done with written bytes when its write callback runs, so a relayed chunk's
   * memory can go back then; another stream (a resumable one keeps bytes for retransmission) may
   * still hold them.
   */
  private readonly releasesWritten: boolean;

  constructor(
    private readonly socket: ByteStream,
    private readonly handlers: FramedSocketHandlers,
  ) {
    this.releasesWritten = socket instanceof Socket || socket instanceof NativeStream;
    socket.setNoDelay?.(true);
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("end", () => this.finish(this.endOfStream()));
    socket.on("error", (error) => this.finish({ kind: "error", error }));
    socket.on("close", () => this.finish({ kind: "closed" }));
    socket.on("drain", () => this.drained());
  }

  get isOpen(): boolean {
    return !this.ended;
  }

  get remoteAddress(): string {
    return `${this.socket.remoteAddress ?? "?"}:${this.socket.remotePort ?? "?"}`;
  }

  /** Bytes written but not yet taken by the kernel: producers stop above their own bound. */
  get backlog(): number {
    return this.socket.writableLength;
  }

  /** Runs `callback` once the backlog has been flushed (or at once when there is none). */
  whenDrained(callback: () => void): void {
    if (this.ended || this.socket.writableLength === 0) queueMicrotask(callback);
    else this.drainWaiters.push(callback);
  }

  /** Stops (and restarts) reading from the peer, which the kernel turns into TCP back-pressure. */
  pauseInput(): void {
    this.socket.pause();
  }

  resumeInput(): void {
    this.socket.resume();
  }

  /**
   * `disposable`: bytes of `message` (a relayed chunk) nobody reads once they are written out: their
   * memory is handed back then, when this link's byte stream lets go of what it wrote.
   */
  send(message: Message, requestId = 0n, disposable?: Uint8Array): void {
    if (this.ended) return;
    const parts = encodeFrameParts({ requestId, message });
    const last = parts.length - 1;
    parts.forEach((part, i) => {
      if (i === last && disposable && this.releasesWritten)
        this.socket.write(part, () => releaseBytes(disposable));
      else this.socket.write(part);
    });
  }

  /** Sends `Close{reason}` (unless told not to), flushes, then hangs up. */
  close(reason: string, options: { notifyPeer?: boolean } = {}): void {
    if (this.ended) return;
    if (options.notifyPeer ?? true) this.send({ type: "Close", reason });
    this.finish({ kind: "local", reason });
  }

  private drained(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const waiter of waiters) waiter();
  }

  private receive(chunk: Buffer): void {
    if (this.ended) return;
    try {
      this.decoder.push(chunk);
      for (let frame = this.decoder.next(); frame && !this.ended; frame = this.decoder.next())
        this.handlers.onFrame(frame);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.send({ type: "Close", reason: `malformed frame: ${error.message}` });
      this.finish({ kind: "malformed", error });
    }
  }

  private endOfStream(): SocketEnd {
    try {
      this.decoder.end();
      return { kind: "closed" };
    } catch (error) {
      return error instanceof ProtocolError ? { kind: "malformed", error } : { kind: "closed" };
    }
  }

  private finish(end: SocketEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.end();
    this.drained();
    // A peer that never reads must not keep the socket (and this process) alive.
    setTimeout(() => this.socket.destroy(), 1_000).unref();
    this.handlers.onEnd(end);
  }
}

/**
 * Answers the session-control messages every server side handles alike (Ping → Pong, Pong, a peer's
 * Close); returns false for anything else, which the caller then handles.
 */
export function answerSessionControl(link: FramedSocket, message: Message, requestId: bigint): boolean {
  switch (message.type) {
    case "Ping":
      link.send({ type: "Pong" }, requestId);
      return true;
    case "Pong":
      return true;
    case "Close":
      link.close(message.reason, { notifyPeer: false });
      return true;
    default:
      return false;
  }
}
