/** What the engine needs from one agent client, and one stolen request's view of it. */

import type { Readable } from "node:stream";
import type { CompiledHttpFilter } from "../../../filters/http-filter.ts";
import type { MessageOf } from "../../../protocol/index.ts";
import type { AgentClient } from "../../features/handler.ts";

/** One agent client (an intproxy session) as the steal feature hands it over. */
export interface HttpStealClient
  extends Pick<AgentClient, "send" | "backlog" | "whenDrained" | "holdInput" | "releaseInput"> {
  /** A connection id unused in this client's session (shared with the ids of `NewConnection`). */
  allocateConnId(): bigint;
}

/** Unflushed bytes to a client above which reading a stolen request's body pauses. */
export const CLIENT_BACKLOG_LIMIT = 4 << 20;

/** Reads `source` into `client` without letting the client's unsent backlog grow past the limit. */
export function forwardPaced(
  source: Pick<Readable, "on" | "pause" | "resume">,
  client: HttpStealClient,
  onData: (data: Buffer) => void,
): void {
  source.on("data", (data: string | Buffer) => {
    if (typeof data === "string") throw new TypeError("HTTP bodies are read as bytes");
    onData(data);
    if (client.backlog() > CLIENT_BACKLOG_LIMIT) {
      source.pause();
      client.whenDrained(() => source.resume());
    }
  });
}

/** Writes a response chunk; a slow client connection holds the subscriber's input until it drains. */
export function writePaced(
  target: { write(data: Uint8Array): boolean; once(event: "drain", listener: () => void): unknown },
  client: HttpStealClient,
  data: Uint8Array,
): void {
  if (target.write(data)) return;
  client.holdInput();
  target.once("drain", () => client.releaseInput());
}

/** One client's filtered subscription to a port. */
export interface HttpSubscription {
  readonly client: HttpStealClient;
  readonly filter: CompiledHttpFilter;
}

/** Messages a client sends back about a stolen request. */
export type HttpClientMessage =
  | MessageOf<"HttpResponseHead">
  | MessageOf<"HttpResponseBody">
  | MessageOf<"HttpResponseEnd">
  | MessageOf<"HttpUpgradeData">
  | MessageOf<"HttpAbort">;

/** A stolen request in flight: answers arrive through `receive`; `abort` when its client is gone. */
export interface Exchange {
  receive(message: HttpClientMessage): void;
  abort(reason: string): void;
}

/** Where an exchange sends its request and how it leaves the routing table. */
export interface ExchangeLink {
  client: HttpStealClient;
  connId: bigint;
  requestId: bigint;
  /** Called once when the exchange is over, whichever side ended it. */
  done(): void;
}
