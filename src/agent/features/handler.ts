/** The shape every agent feature module exports: handlers for the request types it serves. */
import type { ErrorKind, Message, MessageOf, MessageType } from "../../protocol/index.ts";
import type { TargetContext } from "../target.ts";

export type Handler<T extends MessageType> = (
  request: MessageOf<T>,
  target: TargetContext,
) => Message | Promise<Message>;

export type FeatureHandlers = { readonly [T in MessageType]?: Handler<T> };

export function errorReply(
  errno: number,
  kind: (typeof ErrorKind)[keyof typeof ErrorKind],
  message: string,
): Message {
  return { type: "ErrorReply", error: { errno, kind, message } };
}
