/**
 * How traffic for a subscribed pod port reaches the agent. A tap captures the TCP connections made to a
 * port of the target and hands each one over as a `TappedConnection`; `features/incoming.ts` decides
 * which client gets it. Two taps exist: steal (`steal/`: the connection itself is redirected to the
 * agent, replies go back to the client) and mirror (`mirror/`: a copy of the client's bytes, replies go
 * nowhere). Both are created once per agent, lazily, and live until the agent stops.
 */
import type { Readable, Writable } from "node:stream";

/** An IP endpoint as the pod saw it. */
export interface Endpoint {
  /** Textual IP, `10.244.3.2` or `fd00::2` (never IPv4-mapped). */
  readonly address: string;
  readonly port: number;
}

/** One TCP connection to a tapped port. */
export interface TappedConnection {
  /** The pod port the client connected to (the subscribed port). */
  readonly port: number;
  /** The client, as the pod's app would have seen it in accept()/getpeername(). */
  readonly remote: Endpoint;
  /** Where the client connected: the pod's address and `port`. */
  readonly local: Endpoint;
  /** The client's bytes. `end` when the client finished sending; `close` when the connection is gone. */
  readonly inbound: Readable;
  /** Steal: bytes written here reach the client (`end()` = FIN). Mirror: null, replies go nowhere. */
  readonly reply: Writable | null;
  /** Drops the connection (steal: resets the client's connection; mirror: stops the copy). */
  destroy(): void;
}

export type ConnectionHandler = (connection: TappedConnection) => void;

export interface PortTap {
  /**
   * Starts capturing `port`: every new connection to it goes to `onConnection`. Resolves once capture
   * is in place (rules installed, filter attached); rejects with a message naming the port and cause.
   * Starting a port that is already started replaces its handler.
   */
  start(port: number, onConnection: ConnectionHandler): Promise<void>;
  /** Stops capturing `port`; connections already handed over keep going until they end. */
  stop(port: number): Promise<void>;
  /** Stops every port and releases what the tap holds (rules, sockets, helper processes). */
  close(): Promise<void>;
}
