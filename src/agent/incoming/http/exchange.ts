/** What the engine needs from one agent client, and one stolen request's view of it. */

import type { CompiledHttpFilter } from "../../../filters/http-filter.ts";
import type { MessageOf } from "../../../protocol/index.ts";
import type { AgentClient } from "../../features/handler.ts";

/** One agent client (an intproxy session) as the steal feature hands it over. */
export interface HttpStealClient
  extends Pick<AgentClient, "send" | "backlog" | "whenDrained" | "holdInput" | "releaseInput"> {
  /** A connection id unused in this client's session (shared with the ids of `NewConnection`). */
  allocateConnId(): bigint;
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
