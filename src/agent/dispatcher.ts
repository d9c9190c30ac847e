/**
 * Routes one request to the feature that serves its type and always produces exactly one reply:
 * the feature's answer, `ErrorReply{ENOSYS, notImplemented}` when nobody serves the type, or
 * `ErrorReply{errno, io}` when the handler fails.
 */
import { constants } from "node:os";
import { ErrorKind, type Message, type MessageType } from "../protocol/index.ts";
import { type AgentClient, errorReply, type FeatureHandlers, type Handler } from "./features/handler.ts";
import type { TargetContext } from "./target.ts";

const ENOSYS = 38;
const EIO = 5;

export class Dispatcher {
  private readonly handlers = new Map<MessageType, Handler<MessageType>>();

  constructor(features: readonly FeatureHandlers[]) {
    for (const feature of features)
      for (const [type, handler] of Object.entries(feature) as [MessageType, Handler<MessageType>][]) {
        if (this.handlers.has(type)) throw new Error(`two agent features both handle ${type}`);
        this.handlers.set(type, handler);
      }
  }

  handles(type: MessageType): boolean {
    return this.handlers.has(type);
  }

  /**
   * The handler's reply; synchronous when the handler is (the relayed data of every connection goes
   * through here, and a promise per frame costs the relay a trip through the microtask queue).
   */
  dispatch(request: Message, target: TargetContext, client: AgentClient): Message | Promise<Message> {
    const handler = this.handlers.get(request.type);
    if (!handler)
      return errorReply(ENOSYS, ErrorKind.notImplemented, `${request.type} is not supported by this agent`);
    try {
      const reply = handler(request as never, target, client);
      return reply instanceof Promise ? reply.catch((error) => failureReply(request, error)) : reply;
    } catch (error) {
      return failureReply(request, error);
    }
  }
}

function failureReply(request: Message, error: unknown): Message {
  const code = (error as NodeJS.ErrnoException).code;
  const errno = code && code in constants.errno ? constants.errno[code as keyof typeof constants.errno] : EIO;
  return errorReply(errno, ErrorKind.io, `${request.type} failed: ${(error as Error).message ?? error}`);
}
