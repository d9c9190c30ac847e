/**
 * Filtered steal, laptop side: replays the requests the agent stole (`HttpRequestHead/Body/End`) as real
 * HTTP requests to the local program's listener and streams each response back (`HttpResponseHead/Body/
 * End`). Per inbound connection: an HTTP/1.1 keep-alive pool, or one HTTP/2 session when the client
 * spoke HTTP/2; a 101 answer turns the request into `HttpUpgradeData` both ways.
 */
import http, { type ClientRequest, type IncomingMessage } from "node:http";
import http2 from "node:http2";
import net, { type Socket } from "node:net";
import type { Duplex, Readable } from "node:stream";
import { fromRawHeaders, toOutgoingHeaders, versionOf } from "../agent/incoming/http/headers.ts";
import type { HttpHeader, Message, MessageOf } from "../protocol/index.ts";
import type { HostPort } from "../transport/address.ts";
import type { ProtocolClient } from "../transport/client.ts";
import type { Logger } from "../transport/log.ts";
import { forwardPaced, writePaced } from "../transport/pacing.ts";
import type { StolenPeer } from "./incoming-peers.ts";

/** The agent connection, as much of it as the replay uses. */
export type AgentLink = Pick<
  ProtocolClient,
  "notify" | "backlog" | "whenDrained" | "holdInput" | "releaseInput"
>;

export interface HttpReplayDeps {
  agent: AgentLink;
  /** Where the local program listens for this remote port, if it does. */
  listenerFor(port: number): HostPort | undefined;
  /** Each connection opened into the program's `listener`, with the peer its accept() should report. */
  onLocalConnection(socket: Socket, listener: HostPort, peer: StolenPeer): void;
  log: Logger;
}

/** One request being replayed: the agent's further messages about it land here. */
interface Replay {
  body(data: Uint8Array): void;
  end(trailers: readonly HttpHeader[]): void;
  upgradeData(data: Uint8Array): void;
  abort(): void;
}

interface ReplayConnection {
  announced: MessageOf<"HttpConnection">;
  pool?: http.Agent;
  session?: http2.ClientHttp2Session;
  replays: Map<bigint, Replay>;
}

export class HttpReplayer {
  private readonly connections = new Map<bigint, ReplayConnection>();

  constructor(private readonly deps: HttpReplayDeps) {}

  /** Handles the agent's filtered-steal messages; false for anything else. */
  receive(message: Message): boolean {
    switch (message.type) {
      case "HttpConnection":
        this.connections.set(message.connId, { announced: message, replays: new Map() });
        return true;
      case "HttpConnectionClose":
        this.dropConnection(message.connId);
        return true;
      case "HttpRequestHead":
        this.start(message);
        return true;
      case "HttpRequestBody":
        this.replayOf(message)?.body(message.data);
        return true;
      case "HttpRequestEnd":
        this.replayOf(message)?.end(message.trailers);
        return true;
      case "HttpUpgradeData":
        this.replayOf(message)?.upgradeData(message.data);
        return true;
      case "HttpAbort":
        this.replayOf(message)?.abort();
        return true;
      default:
        return false;
    }
  }

  /** The session is ending: every local connection goes. */
  close(): void {
    for (const connId of [...this.connections.keys()]) this.dropConnection(connId);
  }

  private replayOf({ connId, requestId }: { connId: bigint; requestId: bigint }): Replay | undefined {
    return this.connections.get(connId)?.replays.get(requestId);
  }

  private dropConnection(connId: bigint): void {
    const connection = this.connections.get(connId);
    if (!connection) return;
    for (const replay of connection.replays.values()) replay.abort();
    connection.pool?.destroy();
    connection.session?.destroy();
    this.connections.delete(connId);
  }

  private start(head: MessageOf<"HttpRequestHead">): void {
    const { connId, requestId, port } = head;
    const fail = (reason: string) =>
      this.deps.agent.notify({ type: "HttpAbort", connId, requestId, message: reason });
    const connection = this.connections.get(connId);
    const listener = this.deps.listenerFor(port);
    if (!connection) {
      fail(`request on connection ${connId}, which was never announced`);
      return;
    }
    if (!listener) {
      fail(`nothing listens locally for port ${port}`);
      return;
    }
    const done = () => connection.replays.delete(requestId);
    const replay =
      head.version === "http2"
        ? this.replayH2(connection, listener, head, done)
        : this.replayH1(connection, listener, head, done);
    connection.replays.set(requestId, replay);
  }

  private connectLocal(connection: ReplayConnection, listener: HostPort): Socket {
    const socket = net.connect({ port: listener.port, host: listener.host, noDelay: true });
    const { remoteAddress, localAddress } = connection.announced;
    this.deps.onLocalConnection(socket, listener, { remoteAddress, localAddress });
    return socket;
  }

  private replayH1(
    connection: ReplayConnection,
    listener: HostPort,
    head: MessageOf<"HttpRequestHead">,
    done: () => void,
  ): Replay {
    if (!connection.pool) {
      const pool = new http.Agent({ keepAlive: true });
      // Every pooled connection is announced to the incoming side for accept()'s peer address.
      (pool as unknown as { createConnection: () => Socket }).createConnection = () =>
        this.connectLocal(connection, listener);
      connection.pool = pool;
    }
    const upgrade = head.headers.some(({ name }) => name.toLowerCase() === "upgrade");
    const request = http.request({
      method: head.method,
      path: head.uri,
      headers: toOutgoingHeaders(head.headers, { upgrade }),
      agent: connection.pool,
      setHost: false,
    });
    const answer = new AnswerStream(this.deps.agent, head, done);
    let upgraded: Duplex | undefined;
    request.on("response", (response: IncomingMessage) => answer.respond(response));
    request.on("upgrade", (response: IncomingMessage, socket: Duplex, early: Buffer) => {
      upgraded = socket;
      answer.upgraded(response, socket, early);
    });
    request.on("error", (error) => answer.fail(`local program: ${error.message}`));
    return requestReplay(request, this.deps.agent, () => upgraded);
  }

  private replayH2(
    connection: ReplayConnection,
    listener: HostPort,
    head: MessageOf<"HttpRequestHead">,
    done: () => void,
  ): Replay {
    if (!connection.session || connection.session.closed || connection.session.destroyed) {
      const session = http2.connect(`http://${listener.host}:${listener.port}`, {
        createConnection: () => this.connectLocal(connection, listener),
      });
      session.on("error", (error) =>
        this.deps.log.debug("local HTTP/2 session failed", { error: error.message }),
      );
      connection.session = session;
    }
    const target = absolute(head.uri);
    const stream = connection.session.request({
      ...toOutgoingHeaders(head.headers),
      ":method": head.method,
      ":path": target ? target.pathname + target.search : head.uri,
      ":authority": target?.host ?? `${listener.host}:${listener.port}`,
      ":scheme": "http",
    });
    const answer = new AnswerStream(this.deps.agent, head, done);
    stream.on("response", (headers) => answer.respondH2(stream, headers));
    stream.on("error", (error) => answer.fail(`local program: ${error.message}`));
    return {
      body: (data) => writePaced(stream, this.deps.agent, data),
      end: () => stream.end(),
      upgradeData: () => stream.close(http2.constants.NGHTTP2_CANCEL),
      abort: () => stream.close(http2.constants.NGHTTP2_CANCEL),
    };
  }
}

function absolute(uri: string): URL | undefined {
  if (uri.startsWith("/")) return undefined;
  try {
    return new URL(uri);
  } catch {
    return undefined;
  }
}

function requestReplay(request: ClientRequest, agent: AgentLink, upgraded: () => Duplex | undefined): Replay {
  return {
    body: (data) => writePaced(request, agent, data),
    end: (trailers) => {
      if (trailers.length > 0) request.addTrailers(toOutgoingHeaders(trailers));
      request.end();
    },
    upgradeData: (data) => {
      const socket = upgraded();
      if (!socket) return;
      if (data.length > 0) writePaced(socket, agent, data);
      else socket.end();
    },
    abort: () => {
      upgraded()?.destroy();
      request.destroy();
    },
  };
}

/** The local program's answer to one request, sent to the agent as it arrives. */
class AnswerStream {
  private finished = false;
  private readonly connId: bigint;
  private readonly requestId: bigint;

  constructor(
    private readonly agent: AgentLink,
    head: MessageOf<"HttpRequestHead">,
    private readonly done: () => void,
  ) {
    this.connId = head.connId;
    this.requestId = head.requestId;
  }

  respond(response: IncomingMessage): void {
    this.head(
      response.statusCode ?? 502,
      versionOf(response.httpVersion),
      fromRawHeaders(response.rawHeaders),
    );
    this.stream(response, () => fromRawHeaders(response.rawTrailers));
  }

  respondH2(stream: http2.ClientHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    this.head(Number(headers[":status"] ?? 502), "http2", fromRawHeaders(flatten(headers)));
    const trailers: string[] = [];
    stream.on("trailers", (received) => trailers.push(...flatten(received)));
    this.stream(stream, () => fromRawHeaders(trailers));
  }

  upgraded(response: IncomingMessage, socket: Duplex, early: Buffer): void {
    const { connId, requestId } = this;
    this.head(101, "http11", fromRawHeaders(response.rawHeaders));
    const send = this.agent.notify.bind(this.agent);
    if (early.length > 0) send({ type: "HttpUpgradeData", connId, requestId, data: early });
    forwardPaced(socket, this.agent, (data) => send({ type: "HttpUpgradeData", connId, requestId, data }));
    socket.on("end", () => send({ type: "HttpUpgradeData", connId, requestId, data: new Uint8Array() }));
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.fail("the local program closed the upgraded connection"));
  }

  fail(message: string): void {
    if (this.finished) return;
    this.agent.notify({ type: "HttpAbort", connId: this.connId, requestId: this.requestId, message });
    this.finish();
  }

  private head(
    status: number,
    version: MessageOf<"HttpResponseHead">["version"],
    headers: HttpHeader[],
  ): void {
    this.agent.notify({
      type: "HttpResponseHead",
      connId: this.connId,
      requestId: this.requestId,
      status,
      version,
      headers,
    });
  }

  private stream(body: Readable, trailers: () => HttpHeader[]): void {
    const { connId, requestId } = this;
    forwardPaced(body, this.agent, (data) =>
      this.agent.notify({ type: "HttpResponseBody", connId, requestId, data }),
    );
    body.on("end", () => {
      if (this.finished) return;
      this.agent.notify({ type: "HttpResponseEnd", connId, requestId, trailers: trailers() });
      this.finish();
    });
  }

  private finish(): void {
    this.finished = true;
    this.done();
  }
}

/** node's HTTP/2 header object as raw name/value pairs (pseudo-headers dropped later). */
function flatten(headers: http2.IncomingHttpHeaders): string[] {
  const raw: string[] = [];
  for (const [name, value] of Object.entries(headers))
    for (const item of Array.isArray(value) ? value : [value])
      if (item !== undefined) raw.push(name, String(item));
  return raw;
}
