/**
 * The pod's own app, for everything a filter does not steal: raw TCP, non-matching HTTP/1 requests
 * (one keep-alive pool per inbound connection), non-matching HTTP/2 streams (one session per inbound
 * connection) and non-matching upgrades (bytes spliced both ways).
 */
import http, { type IncomingMessage } from "node:http";
import http2 from "node:http2";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { fromRawHeaders, renderHead, toOutgoingHeaders } from "./headers.ts";
import { failReply, type ServerReply, type ServerRequest, writeHead, writeTrailers } from "./reply.ts";

/** `expect` was already answered by the agent's own server (100 Continue). */
const ANSWERED = ["expect", "host"];

export class OriginalDestination {
  private pool: http.Agent | undefined;
  private session: http2.ClientHttp2Session | undefined;

  constructor(
    /** A new connection to the pod's app that the steal redirect does not catch. */
    private readonly connect: () => Socket,
    private readonly authority: string,
  ) {}

  /** Splices a connection that is not HTTP (`consumed` = bytes already read from it). */
  spliceTcp(client: Socket, consumed: Buffer): void {
    splice(client, this.connect(), consumed);
  }

  forward(request: ServerRequest, reply: ServerReply): void {
    if (request.httpVersion === "2.0") this.forwardH2(request, reply);
    else this.forwardH1(request as IncomingMessage, reply);
  }

  /** An upgrade no filter wants: the request head goes out as it came, then bytes both ways. */
  forwardUpgrade(request: IncomingMessage, client: Duplex, head: Buffer): void {
    const start = `${request.method} ${request.url} HTTP/${request.httpVersion}`;
    const headers = toOutgoingHeaders(fromRawHeaders(request.rawHeaders), { upgrade: true });
    splice(client, this.connect(), Buffer.concat([renderHead(start, headers), head]));
  }

  close(): void {
    this.pool?.destroy();
    this.session?.close();
  }

  private forwardH1(request: IncomingMessage, reply: ServerReply): void {
    const headers = toOutgoingHeaders(fromRawHeaders(request.rawHeaders), { drop: ANSWERED });
    headers.host = request.headers.host ?? this.authority;
    const upstream = http.request({
      method: request.method,
      path: request.url,
      headers,
      agent: this.h1Pool(),
      setHost: false,
    });
    upstream.on("response", (response) => {
      writeHead(reply, response.statusCode ?? 502, fromRawHeaders(response.rawHeaders));
      pipeBody(response, reply, () => response.rawTrailers);
    });
    upstream.on("error", (error) => unreachable(reply, error));
    reply.on("close", () => {
      if (!reply.writableFinished) upstream.destroy();
    });
    pipeRequest(request, upstream);
  }

  private forwardH2(request: ServerRequest, reply: ServerReply): void {
    const session = this.h2Session();
    const stream = session.request({
      ...toOutgoingHeaders(fromRawHeaders(request.rawHeaders), { drop: ANSWERED }),
      ":method": request.method,
      ":path": request.url,
      ":authority": request.headers[":authority"] ?? request.headers.host ?? this.authority,
      ":scheme": "http",
    });
    stream.on("response", (headers) => {
      const raw: string[] = [];
      for (const [name, value] of Object.entries(headers))
        for (const item of Array.isArray(value) ? value : [value]) raw.push(name, String(item));
      writeHead(reply, Number(headers[":status"] ?? 502), fromRawHeaders(raw));
      const trailers: string[] = [];
      stream.on("trailers", (received) => {
        for (const [name, value] of Object.entries(received)) trailers.push(name, String(value));
      });
      pipeBody(stream, reply, () => trailers);
    });
    stream.on("error", (error) => unreachable(reply, error));
    reply.on("close", () => {
      if (!reply.writableFinished) stream.close(http2.constants.NGHTTP2_CANCEL);
    });
    pipeRequest(request, stream);
  }

  private h1Pool(): http.Agent {
    if (!this.pool) {
      const pool = new http.Agent({ keepAlive: true });
      // Every pooled socket must bypass the steal redirect: the caller's connector knows how.
      (pool as unknown as { createConnection: () => Socket }).createConnection = () => this.connect();
      this.pool = pool;
    }
    return this.pool;
  }

  private h2Session(): http2.ClientHttp2Session {
    if (!this.session || this.session.closed || this.session.destroyed) {
      const session = http2.connect(`http://${this.authority}`, { createConnection: () => this.connect() });
      session.on("error", () => {}); // each stream reports its own failure
      this.session = session;
    }
    return this.session;
  }
}

/** mirrord's answer when the pod's app cannot be reached (agent-kube.md §5.9). */
function unreachable(reply: ServerReply, error: Error): void {
  failReply(
    reply,
    502,
    `mirrord-agent: failed to pass the request to its original destination: ${error.message}`,
  );
}

/** Response body to the client, then the upstream's trailers. */
function pipeBody(from: NodeJS.ReadableStream, reply: ServerReply, trailers: () => readonly string[]): void {
  from.on("data", (chunk: Buffer) => {
    if (!reply.write(chunk)) {
      from.pause();
      reply.once("drain", () => from.resume());
    }
  });
  from.on("end", () => {
    writeTrailers(reply, fromRawHeaders(trailers()));
    reply.end();
  });
}

function pipeRequest(request: ServerRequest, upstream: NodeJS.WritableStream & { destroy(): void }): void {
  request.pipe(upstream);
  request.on("aborted", () => upstream.destroy());
}

function splice(client: Duplex, upstream: Socket, first: Buffer): void {
  const closeBoth = () => {
    client.destroy();
    upstream.destroy();
  };
  upstream.on("error", closeBoth);
  client.on("error", closeBoth);
  if (first.length > 0) upstream.write(first);
  client.pipe(upstream);
  upstream.pipe(client);
  if (client.readableEnded) upstream.end();
  client.resume();
}
