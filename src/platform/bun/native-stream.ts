/**
 * A TCP connection on Bun's own sockets (`Bun.connect` / `Bun.listen`) behind the small part of
 * node:net's Socket the data paths use (events `data`, `end`, `close`, `error`, `drain`; `write` with
 * a callback, `end`, `destroy`, `pause`, `resume`, `unshift`, `writableLength`). node:net runs every
 * chunk through the stream machinery (readable buffering, `readableAddChunk`, `emit` chains), which
 * costs a relay about a third more CPU per round trip; these streams hand each read straight to the
 * listener. Half-open like node:net with `allowHalfOpen`: `end()` sends FIN and reading goes on.
 */
import { EventEmitter } from "node:events";
import type { ByteStream } from "../../transport/byte-stream.ts";

interface PendingWrite {
  bytes: Uint8Array;
  written?: () => void;
}

type BunSocket = import("bun").Socket<NativeStream | undefined>;

export class NativeStream extends EventEmitter implements ByteStream {
  private socket: BunSocket | null = null;
  /** Bytes the kernel did not take yet, in order (the head may be partly written). */
  private pending: PendingWrite[] = [];
  private pendingBytes = 0;
  /** Read bytes given back (`unshift`): delivered before any new read once reading resumes. */
  private unshifted: Buffer[] = [];
  private paused = false;
  private writeEnding = false;
  private writeEnded = false;
  private readEnded = false;
  private closed = false;
  private errorReported = false;
  private destroyedByUs = false;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;

  get writableLength(): number {
    return this.pendingBytes;
  }

  get destroyed(): boolean {
    return this.closed;
  }

  /** Returns false when bytes are left waiting for the kernel (then `drain` follows). */
  write(chunk: Uint8Array | string, written?: () => void): boolean {
    if (this.closed || this.writeEnding) return false;
    let bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (this.socket && this.pending.length === 0) {
      const taken = this.socket.write(bytes);
      if (taken === bytes.length) {
        if (written) queueMicrotask(written);
        return true;
      }
      if (taken > 0) bytes = bytes.subarray(taken);
    }
    this.pending.push({ bytes, written });
    this.pendingBytes += bytes.length;
    return false;
  }

  /** Writes `last` (if given), then FIN once everything written has gone out; reading goes on. */
  end(last?: Uint8Array): this {
    if (this.closed || this.writeEnding) return this;
    if (last) this.write(last);
    this.writeEnding = true;
    if (this.pending.length === 0) this.shutdownWrite();
    return this;
  }

  /** Closes the connection now, dropping unsent bytes. */
  destroy(): this {
    if (this.closed) return this;
    // Bun reports its own close as the peer's FIN; a destroyed stream, like node's, has no `end`.
    this.readEnded = true;
    this.destroyedByUs = true;
    if (this.socket) this.socket.end();
    else this.closeNow(undefined);
    return this;
  }

  /** Closes with a TCP reset. */
  resetAndDestroy(): this {
    this.readEnded = true;
    this.destroyedByUs = true;
    if (this.socket && !this.closed) this.socket.terminate();
    else this.closeNow(undefined);
    return this;
  }

  pause(): this {
    if (!this.paused) {
      this.paused = true;
      this.socket?.pause();
    }
    return this;
  }

  resume(): this {
    if (this.paused) {
      this.paused = false;
      this.socket?.resume();
      if (this.unshifted.length > 0) queueMicrotask(() => this.deliverUnshifted());
    }
    return this;
  }

  unshift(chunk: Uint8Array): void {
    this.unshifted.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }

  setNoDelay(noDelay = true): this {
    this.socket?.setNoDelay(noDelay);
    return this;
  }

  /** @internal The connection is up: writes made before it go out now. */
  attach(socket: BunSocket): void {
    if (this.closed) {
      // Destroyed while connecting: the connection that came up anyway is nobody's.
      socket.end();
      return;
    }
    this.socket = socket;
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = socket.remotePort;
    this.localAddress = socket.localAddress;
    this.localPort = socket.localPort;
    socket.setNoDelay(true);
    if (this.paused) socket.pause();
    if (this.pending.length > 0) this.flush();
    else if (this.writeEnding) this.shutdownWrite();
  }

  /** @internal */
  received(data: Buffer): void {
    if (this.unshifted.length > 0) this.deliverUnshifted();
    this.emit("data", data);
  }

  /** @internal The peer sent FIN. */
  peerEnded(): void {
    if (this.readEnded) return;
    this.readEnded = true;
    if (this.unshifted.length > 0) this.deliverUnshifted();
    this.emit("end");
    if (this.writeEnded) this.socket?.end();
  }

  /** @internal The kernel has room again. */
  flush(): void {
    const socket = this.socket;
    if (!socket) return;
    while (this.pending.length > 0) {
      const head = this.pending[0] as PendingWrite;
      const taken = socket.write(head.bytes);
      if (taken < 0) return;
      this.pendingBytes -= taken;
      if (taken < head.bytes.length) {
        head.bytes = head.bytes.subarray(taken);
        return;
      }
      this.pending.shift();
      head.written?.();
    }
    if (this.writeEnding) this.shutdownWrite();
    this.emit("drain");
  }

  /** @internal */
  failed(error: Error): void {
    this.report(error);
  }

  /** @internal The connection is gone (`error` set when it did not end cleanly). */
  closeNow(error: Error | undefined): void {
    if (this.closed) return;
    // Bun reports a FIN that arrives after our own FIN as a close without `end`.
    if (!error && !this.readEnded) this.peerEnded();
    this.pending = [];
    this.pendingBytes = 0;
    if (error) this.report(error);
    this.closed = true;
    this.emit("close", error !== undefined);
  }

  /**
   * A failure is reported once, and only to a listener: a connection's error must never become an
   * uncaught exception, and after our own destroy nobody is asking any more.
   */
  private report(error: Error): void {
    if (this.closed || this.errorReported || this.destroyedByUs) return;
    this.errorReported = true;
    if (this.listenerCount("error") > 0) this.emit("error", error);
  }

  private shutdownWrite(): void {
    if (this.writeEnded || !this.socket) return;
    this.writeEnded = true;
    if (this.readEnded) this.socket.end();
    else this.socket.shutdown();
  }

  private deliverUnshifted(): void {
    while (this.unshifted.length > 0 && !this.paused) this.emit("data", this.unshifted.shift());
  }
}

const handlers = {
  open(socket: BunSocket) {
    socket.data?.attach(socket);
  },
  data(socket: BunSocket, data: Buffer) {
    socket.data?.received(data);
  },
  drain(socket: BunSocket) {
    socket.data?.flush();
  },
  end(socket: BunSocket) {
    socket.data?.peerEnded();
  },
  error(socket: BunSocket, error: Error) {
    socket.data?.failed(error);
  },
  close(socket: BunSocket, error?: Error) {
    socket.data?.closeNow(error);
  },
};

/**
 * Connects to `host:port`; like node:net's `connect`, returns at once and reports `connect` or
 * `error` (with the errno `code`, e.g. ECONNREFUSED) later. Writes made meanwhile are queued.
 */
export function connectNative(host: string, port: number): NativeStream {
  const stream = new NativeStream();
  Bun.connect<NativeStream | undefined>({
    hostname: host,
    port,
    allowHalfOpen: true,
    data: stream,
    socket: handlers,
  }).then(
    () => stream.emit("connect"),
    (error: Error) => stream.closeNow(error),
  );
  return stream;
}

export interface NativeListener {
  /** The TCP port listened on (0 for a unix socket). */
  readonly port: number;
  /** Stops accepting; connections already accepted go on. */
  stop(): void;
}

export type ListenAddress = { host: string; port: number } | { path: string };

/**
 * Accepts connections on a TCP address (`::` is dual-stack) or a unix socket path, each handed to
 * `onStream` when it opens. Throws (with the errno `code`, e.g. EADDRINUSE) when it cannot listen.
 */
export function listenNative(where: ListenAddress, onStream: (stream: NativeStream) => void): NativeListener {
  const socket = {
    ...handlers,
    open(socket: BunSocket) {
      const stream = new NativeStream();
      socket.data = stream;
      stream.attach(socket);
      onStream(stream);
    },
  };
  const options = { allowHalfOpen: true, data: undefined, socket };
  if ("path" in where) {
    const listener = Bun.listen<NativeStream | undefined>({ ...options, unix: where.path });
    return { port: 0, stop: () => listener.stop() };
  }
  const listener = Bun.listen<NativeStream | undefined>({
    ...options,
    hostname: where.host,
    port: where.port,
  });
  return { port: listener.port, stop: () => listener.stop() };
}
