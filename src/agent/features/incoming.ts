/**
 * Incoming traffic: `Subscribe` / `Unsubscribe` a pod port (mirror or steal) and the subscriber's side
 * of each connection (`IncomingData`, `IncomingClose`, `IncomingUnreachable`). The work is in
 * `../incoming/` (service, taps, relays); this module maps requests onto it.
 */
import { ErrorKind, type Message } from "../../protocol/index.ts";
import type { HttpClientMessage } from "../incoming/http/exchange.ts";
import { IncomingService, incomingSettingsFrom } from "../incoming/service.ts";
import { type AgentClient, errorReply, type FeatureHandlers } from "./handler.ts";

const EOPNOTSUPP = 95;

/** One per agent process: the steal redirects and the mirror sniffer are per network namespace. */
export const incomingService = new IncomingService(incomingSettingsFrom(process.env));

export const incomingFeature: FeatureHandlers = {
  Subscribe: async (request, target, client) => {
    if (target.mode === "targetless")
      return errorReply(EOPNOTSUPP, ErrorKind.notImplemented, "a targetless agent has no incoming traffic");
    if (request.filter && request.mode !== "steal")
      return errorReply(
        EOPNOTSUPP,
        ErrorKind.notImplemented,
        "HTTP filters on mirrored ports are not supported yet",
      );
    try {
      await incomingService.subscribe(client, request.port, request.mode, request.filter ?? undefined);
    } catch (error) {
      return errorReply(EOPNOTSUPP, ErrorKind.io, (error as Error).message);
    }
    return { type: "Subscribed", port: request.port };
  },
  Unsubscribe: async (request, _target, client) => {
    await incomingService.unsubscribe(client, request.port);
    return { type: "Ok" };
  },
  IncomingData: (request, _target, client) => {
    incomingService.fromClient(client, request.connId, { data: request.data });
    return { type: "Ok" };
  },
  IncomingClose: (request, _target, client) => {
    incomingService.fromClient(client, request.connId, "close");
    return { type: "Ok" };
  },
  IncomingUnreachable: (request, _target, client) => {
    incomingService.fromClient(client, request.connId, "unreachable");
    return { type: "Ok" };
  },
  // Answers about HTTP requests a filtered steal handed to this client (notifications).
  HttpResponseHead: (request, _target, client) => httpAnswer(request, client),
  HttpResponseBody: (request, _target, client) => httpAnswer(request, client),
  HttpResponseEnd: (request, _target, client) => httpAnswer(request, client),
  HttpUpgradeData: (request, _target, client) => httpAnswer(request, client),
  HttpAbort: (request, _target, client) => httpAnswer(request, client),
};

function httpAnswer(message: HttpClientMessage, client: AgentClient): Message {
  incomingService.httpFromClient(client, message);
  return { type: "Ok" };
}
