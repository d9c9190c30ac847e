/**
 * Filtered steal for one agent: every connection stolen on a port with HTTP filters comes here. The
 * protocol is detected; non-HTTP bytes go to the pod's app untouched; HTTP requests (HTTP/1.1 with
 * keep-alive, pipelining, chunked bodies, 100-continue, upgrades; HTTP/2 prior knowledge, each stream on
 * its own) are parsed by node:http / node:http2 and judged one by one: the first subscription (in
 * subscription order) whose filter matches gets the request, everything else goes to the pod's app.
 */
import http, { type IncomingMessage } from "node:http";
import http2 from "node:http2";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { HttpRequestHead } from "../../../filters/http-filter.ts";
import type { HttpHeader, HttpVersion, SocketAddress } from "../../../protocol/index.ts";
import type { Logger } from "../../../transport/log.ts";
import { detectProtocol } from "./detect.ts";
import type {
  Exchange,
  ExchangeLink,
  HttpClientMessage,
  HttpStealClient,
  HttpSubscription,
} from "./exchange.ts";
import { fromRawHeaders } from "./headers.ts";
import { OriginalDestination } from "./original-destination.ts";
import type { ServerReply, ServerRequest } from "./reply.ts";
import { StolenRequest } from "./stolen-request.ts";
import { StolenUpgrade } from "./stolen-upgrade.ts";

/** A connection the steal redirect caught on a port that has HTTP filters. */
export interface StolenConnection {
  /** The client's socket; nothing has been read from it. */
  socket: Socket;
  /** The port the client connected to (the subscribed port). */
  port: number;
  remoteAddress: SocketAddress;
  /** The original destination as the client addressed it. */
  localAddress: SocketAddress;
  /** Opens a new connection to the pod's own app that the steal redirect does not catch. */
  connectOriginal(): Socket;
}

export interface HttpStealOptions {
  /** `agent.http_detection_timeout`, per read. */
  detectionTimeoutMs: number;
  log: Logger;
}

/** What a filter judges, and what the subscriber receives as `HttpRequestHead`. */
export interface JudgedHead extends HttpRequestHead {
  headers: HttpHeader[];
}

/** One inbound connection's share of the engine's state. */
interface ConnectionState {
  connection: StolenConnection;
  version: HttpVersion;
  original: OriginalDestination;
  /** The connection id each client knows this connection by, announced with `HttpConnection`. */
  connIds: Map<HttpStealClient, bigint>;
  nextRequestId: bigint;
}

export class HttpStealEngine {
  /** Requests in flight, per client, by `connId/requestId`. */
  private readonly exchanges = new Map<HttpStealClient, Map<string, Exchange>>();
  /** Pairs (earlier, later) of clients already warned that their filters overlap. */
  private readonly warned = new WeakMap<HttpStealClient, WeakSet<HttpStealClient>>();

  constructor(private readonly options: HttpStealOptions) {}

  /** Serves one stolen connection; `subscriptions` is read per request (subscriptions change). */
  async serve(connection: StolenConnection, subscriptions: () => readonly HttpSubscription[]): Promise<void> {
    const { socket } = connection;
    socket.on("error", (error) =>
      this.options.log.debug("filtered connection error", { error: error.message }),
    );
    const { protocol, consumed } = await detectProtocol(socket, this.options.detectionTimeoutMs);
    const original = new OriginalDestination(
      () => connection.connectOriginal(),
      `localhost:${connection.port}`,
    );
    this.options.log.debug("filtered connection", { port: connection.port, protocol });
    if (protocol === "tcp") {
      original.spliceTcp(socket, consumed);
      return;
    }
    const state: ConnectionState = {
      connection,
      version: protocol === "h2" ? "http2" : "http11",
      original,
      connIds: new Map(),
      nextRequestId: 0n,
    };
    socket.once("close", () => this.closed(state));
    const onRequest = (request: ServerRequest, reply: ServerReply) =>
      this.request(state, subscriptions(), request, reply);
    const server =
      protocol === "h2"
        ? // node types `end` on Http2ServerResponse with a callback overload first; the calls we make exist
          http2.createServer((request, reply) => onRequest(request, reply as unknown as ServerReply))
        : this.http1Server(state, subscriptions, onRequest);
    socket.unshift(consumed);
    server.emit("connection", socket);
    socket.resume();
  }

  /** A client's answer about one of its stolen requests. */
  receive(client: HttpStealClient, message: HttpClientMessage): void {
    this.exchanges.get(client)?.get(`${message.connId}/${message.requestId}`)?.receive(message);
  }

  /** The client is gone (or unsubscribed everything): its requests in flight fail. */
  forget(client: HttpStealClient): void {
    const pending = this.exchanges.get(client);
    if (!pending) return;
    for (const exchange of [...pending.values()]) exchange.abort("the mirrord session that stole it ended");
    this.exchanges.delete(client);
  }

  private http1Server(
    state: ConnectionState,
    subscriptions: () => readonly HttpSubscription[],
    onRequest: (request: IncomingMessage, reply: ServerReply) => void,
  ): http.Server {
    const server = http.createServer(
      { keepAliveTimeout: 0, requestTimeout: 0, headersTimeout: 0 },
      onRequest,
    );
    server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.upgrade(state, subscriptions(), request, socket, head),
    );
    return server;
  }

  private request(
    state: ConnectionState,
    subscriptions: readonly HttpSubscription[],
    request: ServerRequest,
    reply: ServerReply,
  ): void {
    reply.sendDate = false;
    const head = this.headOf(state, request);
    const winner = this.judge(state, subscriptions, head);
    if (!winner) {
      state.original.forward(request, reply);
      return;
    }
    this.open(state, winner, (link) => new StolenRequest(link, reply)).start(
      request,
      state.connection.port,
      head,
    );
  }

  private upgrade(
    state: ConnectionState,
    subscriptions: readonly HttpSubscription[],
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): void {
    const judged = this.headOf(state, request);
    const winner = this.judge(state, subscriptions, judged);
    if (!winner) {
      state.original.forwardUpgrade(request, socket, head);
      return;
    }
    this.open(state, winner, (link) => new StolenUpgrade(link, socket, head)).start(
      request,
      state.connection.port,
      judged,
    );
  }

  private headOf(state: ConnectionState, request: ServerRequest): JudgedHead {
    const headers = fromRawHeaders(request.rawHeaders);
    if (state.version !== "http2")
      return { method: request.method ?? "GET", uri: request.url ?? "/", headers };
    // HTTP/2 carries the authority beside the path: the judged URI is absolute, as in mirrord.
    const authority = request.headers[":authority"] ?? `localhost:${state.connection.port}`;
    return { method: request.method ?? "GET", uri: `http://${authority}${request.url}`, headers };
  }

  /** First matching subscription wins; later ones that also match are told once that theirs overlaps. */
  private judge(
    state: ConnectionState,
    subscriptions: readonly HttpSubscription[],
    head: HttpRequestHead,
  ): HttpStealClient | undefined {
    let winner: HttpStealClient | undefined;
    for (const { client, filter } of subscriptions) {
      if (!filter.matches(head)) continue;
      if (!winner) {
        winner = client;
        continue;
      }
      if (client === winner) continue;
      const told = this.warned.get(winner) ?? new WeakSet();
      this.warned.set(winner, told);
      if (told.has(client)) continue;
      told.add(client);
      client.send({
        type: "Log",
        level: "warn",
        message:
          `an HTTP request on port ${state.connection.port} (${head.method} ${head.uri}) matched your HTTP ` +
          "filter but went to another mirrord session that subscribed earlier: the two filters overlap, and " +
          "requests matching both go to the earlier session",
      });
    }
    return winner;
  }

  /** Registers a new exchange for `client`, announcing this connection to it on its first request. */
  private open<E extends Exchange>(
    state: ConnectionState,
    client: HttpStealClient,
    create: (link: ExchangeLink) => E,
  ): E {
    let connId = state.connIds.get(client);
    if (connId === undefined) {
      connId = client.allocateConnId();
      state.connIds.set(client, connId);
      const { port, remoteAddress, localAddress } = state.connection;
      client.send({
        type: "HttpConnection",
        connId,
        port,
        remoteAddress,
        localAddress,
        version: state.version,
      });
    }
    const requestId = state.nextRequestId++;
    const key = `${connId}/${requestId}`;
    let pending = this.exchanges.get(client);
    if (!pending) {
      pending = new Map();
      this.exchanges.set(client, pending);
    }
    const table = pending;
    const exchange = create({ client, connId, requestId, done: () => table.delete(key) });
    table.set(key, exchange);
    return exchange;
  }

  private closed(state: ConnectionState): void {
    state.original.close();
    for (const [client, connId] of state.connIds) client.send({ type: "HttpConnectionClose", connId });
  }
}
