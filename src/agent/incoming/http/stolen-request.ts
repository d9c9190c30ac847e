/**
 * A request a filter stole: its head and streamed body go to the subscriber's client, whose response
 * (head, body chunks, trailers) is written back on the client's own connection, in request order
 * (node:http queues pipelined responses; HTTP/2 streams are independent).
 */
import { forwardPaced, writePaced } from "../../../transport/pacing.ts";
import type { JudgedHead } from "./engine.ts";
import { type Exchange, type ExchangeLink, type HttpClientMessage, sendRequestHead } from "./exchange.ts";
import { fromRawHeaders } from "./headers.ts";
import { failReply, type ServerReply, type ServerRequest, writeHead, writeTrailers } from "./reply.ts";

export class StolenRequest implements Exchange {
  private finished = false;

  constructor(
    private readonly link: ExchangeLink,
    private readonly reply: ServerReply,
  ) {}

  /** Sends the request; `uri` and `headers` are the ones the filter judged. */
  start(request: ServerRequest, port: number, judged: JudgedHead): void {
    const { client, connId, requestId } = this.link;
    sendRequestHead(this.link, request, port, judged);
    forwardPaced(request, client, (data) => {
      if (!this.finished) client.send({ type: "HttpRequestBody", connId, requestId, data });
    });
    request.on("end", () => {
      if (!this.finished)
        client.send({
          type: "HttpRequestEnd",
          connId,
          requestId,
          trailers: fromRawHeaders(request.rawTrailers),
        });
    });
    this.reply.on("close", () => {
      if (this.reply.writableFinished || this.finished) return;
      client.send({ type: "HttpAbort", connId, requestId, message: "the client went away" });
      this.finish();
    });
  }

  receive(message: HttpClientMessage): void {
    if (this.finished) return;
    switch (message.type) {
      case "HttpResponseHead":
        if (this.reply.headersSent || message.status < 200)
          this.abort(`unexpected response head (status ${message.status})`);
        else writeHead(this.reply, message.status, message.headers);
        return;
      case "HttpResponseBody":
        if (message.data.length > 0) writePaced(this.reply, this.link.client, message.data);
        return;
      case "HttpResponseEnd":
        writeTrailers(this.reply, message.trailers);
        this.reply.end();
        this.finish();
        return;
      case "HttpAbort":
        this.abort(message.message);
        return;
      case "HttpUpgradeData":
        this.abort("upgrade data for a request that was not upgraded");
        return;
    }
  }

  /** The local program could not answer: a 502 if nothing was sent yet, else the response is cut. */
  abort(reason: string): void {
    if (this.finished) return;
    this.finish();
    failReply(this.reply, 502, `mirrord: the stolen request failed on the local side: ${reason}`);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.link.done();
  }
}
