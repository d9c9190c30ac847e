/** Writing a response on the client's connection, the same way for HTTP/1 and HTTP/2 (node's compat API). */
import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import type { HttpHeader } from "../../../protocol/index.ts";
import { toOutgoingHeaders } from "./headers.ts";

export type ServerRequest = IncomingMessage | Http2ServerRequest;

/** What both `http.ServerResponse` and `http2.Http2ServerResponse` offer. */
export interface ServerReply {
  readonly headersSent: boolean;
  readonly writableFinished: boolean;
  sendDate: boolean;
  setHeader(name: string, value: string | readonly string[]): unknown;
  writeHead(status: number, headers?: OutgoingHttpHeaders): unknown;
  write(chunk: Uint8Array): boolean;
  end(chunk?: string): unknown;
  addTrailers(headers: OutgoingHttpHeaders): void;
  destroy(error?: Error): unknown;
  on(event: "close", listener: () => void): unknown;
  once(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
}

export function writeHead(reply: ServerReply, status: number, headers: readonly HttpHeader[]): void {
  for (const [name, value] of Object.entries(toOutgoingHeaders(headers)))
    reply.setHeader(name, value as string[]);
  reply.writeHead(status);
}

export function writeTrailers(reply: ServerReply, trailers: readonly HttpHeader[]): void {
  if (trailers.length > 0) reply.addTrailers(toOutgoingHeaders(trailers));
}

/** A short plain-text error answer, or a cut connection when the response has already started. */
export function failReply(reply: ServerReply, status: number, message: string): void {
  if (reply.headersSent) {
    reply.destroy();
    return;
  }
  const body = `${message}\n`;
  reply.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  reply.end(body);
}
