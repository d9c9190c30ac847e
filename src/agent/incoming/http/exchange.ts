/** What the engine needs from one agent client, and one stolen request's view of it. */

import type { CompiledHttpFilter } from "../../../filters/http-filter.ts";
import type { MessageOf } from "../../../protocol/index.ts";
import type { AgentClient } from "../../features/handler.ts";
import type { JudgedHead } from "./engine.ts";
import { versionOf } from "./headers.ts";
import type { ServerRequest } from "./reply.ts";

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

/** Tells the link's client about a stolen request: `uri` and `headers` are the ones the filter judged. */
export function sendRequestHead(
  { client, connId, requestId }: ExchangeLink,
  request: ServerRequest,
  port: number,
  { uri, headers }: JudgedHead,
): void {
  client.send({
    type: "HttpRequestHead",
    connId,
    requestId,
    port,
    method: request.method ?? "GET",
    uri,
    version: versionOf(request.httpVersion),
    headers,
  });
}
