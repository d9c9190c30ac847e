/**
 * A client connection redirected to the agent. Besides the `TappedConnection` view, it can be handed
 * back to the pod's own app (`passThrough`), which is what happens when nobody (or no longer anybody)
 * wants it, and what the HTTP filter does with requests no filter matches.
 */
import { connect, type Socket } from "node:net";
import { PassThrough, type Readable } from "node:stream";
import type { Endpoint, TappedConnection } from "../tap.ts";

export class StolenConnection implements TappedConnection {
  readonly reply: Socket;

  constructor(
    /** The client's socket, accepted by the steal listener. */
    readonly socket: Socket,
    readonly remote: Endpoint,
    /** The original destination: the pod's address and the stolen port. */
    readonly local: Endpoint,
    /** The client's bytes: the socket itself, unless some were already read (see `withReadBytes`). */
    readonly inbound: Readable = socket,
    /** Bytes already read from the socket (they are `inbound`'s first): what a pass-through replays. */
    private readonly readAhead: readonly Uint8Array[] = [],
  ) {
    this.reply = socket;
  }

  /** The same connection for a next consumer, which sees `head` (already read from the socket) first. */
  withReadBytes(head: Buffer): StolenConnection {
    const readAhead = [...this.readAhead, head];
    if (!this.socket.readableEnded) {
      // Put back in front of what the socket has not delivered yet: the next reader gets it first.
      this.socket.unshift(head);
      return new StolenConnection(this.socket, this.remote, this.local, this.socket, readAhead);
    }
    // The client already finished: a copy with its end is the next reader's stream.
    // Its close is the socket's (not the end of the copy).
    const inbound = new PassThrough({ autoDestroy: false });
    this.socket.once("close", () => inbound.destroy());
    inbound.end(head);
    return new StolenConnection(this.socket, this.remote, this.local, inbound, readAhead);
  }

  get port(): number {
    return this.local.port;
  }

  destroy(): void {
    this.socket.resetAndDestroy();
  }

  /** A new connection to the pod's own app, which the steal redirect does not catch (it is local). */
  connectOriginal(): Socket {
    const upstream = connect({ host: this.local.address, port: this.local.port, allowHalfOpen: true });
    upstream.setNoDelay(true);
    return upstream;
  }

  /**
   * Connects to the original destination from inside the pod (locally originated traffic is never
   * redirected) and splices the two sockets; `replay` is what was already read from the client (by
   * default the bytes read before this connection was handed over: the head the probe check read).
   * Whoever was reading `socket` must have stopped.
   */
  passThrough(replay: readonly Uint8Array[] = this.readAhead): void {
    const client = this.socket;
    client.unpipe();
    client.removeAllListeners("data");
    client.removeAllListeners("end");
    client.pause();
    const upstream = this.connectOriginal();
    for (const chunk of replay) upstream.write(chunk);
    upstream.once("connect", () => {
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on("error", () => client.resetAndDestroy());
    client.on("error", () => upstream.resetAndDestroy());
    client.on("close", () => upstream.end());
    upstream.on("close", () => client.end());
  }
}
