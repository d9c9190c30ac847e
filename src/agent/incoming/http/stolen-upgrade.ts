/**
 * A stolen HTTP/1.1 upgrade (WebSocket…): node:http hands over the raw socket. The request goes to the
 * subscriber; a 101 answer turns the connection into `HttpUpgradeData` both ways for its whole life,
 * any other answer is written as a plain response and the connection closed.
 */
import { type IncomingMessage, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { HttpHeader } from "../../../protocol/index.ts";
import { forwardPaced, writePaced } from "../../../transport/pacing.ts";
import type { JudgedHead } from "./engine.ts";
import { type Exchange, type ExchangeLink, type HttpClientMessage, sendRequestHead } from "./exchange.ts";
import { renderHead, toOutgoingHeaders } from "./headers.ts";

export class StolenUpgrade implements Exchange {
  private upgraded = false;
  private finished = false;
  /** Bytes the client sent after its request head, held until the 101. */
  private early: Buffer[];

  constructor(
    private readonly link: ExchangeLink,
    private readonly socket: Duplex,
    head: Buffer,
  ) {
    this.early = head.length > 0 ? [head] : [];
  }

  start(request: IncomingMessage, port: number, judged: JudgedHead): void {
    const { client, connId, requestId } = this.link;
    sendRequestHead(this.link, request, port, judged);
    client.send({ type: "HttpRequestEnd", connId, requestId, trailers: [] });
    forwardPaced(this.socket, client, (data) => {
      if (this.upgraded) client.send({ type: "HttpUpgradeData", connId, requestId, data });
      else this.early.push(data);
    });
    this.socket.on("end", () => {
      if (this.upgraded && !this.finished)
        client.send({ type: "HttpUpgradeData", connId, requestId, data: new Uint8Array() });
    });
    this.socket.on("error", () => this.socket.destroy());
    this.socket.on("close", () => {
      if (!this.finished)
        client.send({ type: "HttpAbort", connId, requestId, message: "the client went away" });
      this.finish();
    });
    this.socket.resume();
  }

  receive(message: HttpClientMessage): void {
    if (this.finished) return;
    switch (message.type) {
      case "HttpResponseHead":
        this.respond(message.status, message.headers);
        return;
      case "HttpResponseBody":
      case "HttpUpgradeData":
        if (message.data.length > 0) writePaced(this.socket, this.link.client, message.data);
        else if (message.type === "HttpUpgradeData") this.socket.end();
        return;
      case "HttpResponseEnd":
        if (!this.upgraded) this.socket.end();
        return;
      case "HttpAbort":
        this.abort(message.message);
        return;
    }
  }

  abort(_reason: string): void {
    this.finish();
    this.socket.destroy();
  }

  private respond(status: number, headers: readonly HttpHeader[]): void {
    const upgrade = status === 101;
    const outgoing = toOutgoingHeaders(headers, { upgrade });
    if (!upgrade) outgoing.connection = "close"; // the body runs until the connection closes
    this.socket.write(renderHead(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}`, outgoing));
    if (!upgrade) return;
    this.upgraded = true;
    const { client, connId, requestId } = this.link;
    for (const data of this.early) client.send({ type: "HttpUpgradeData", connId, requestId, data });
    this.early = [];
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.link.done();
  }
}
