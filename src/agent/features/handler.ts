/** The shape every agent feature module exports: handlers for the request types it serves. */
import type { ErrorKind, Message, MessageOf, MessageType } from "../../protocol/index.ts";
import type { Logger } from "../../transport/log.ts";
import type { TargetContext } from "../target.ts";

/**
 * The client a request came from. Features that keep per-client state or push messages on their own
 * (incoming connections, outgoing data) use it; the rest ignore it.
 */
export interface AgentClient {
  readonly id: number;
  readonly log: Logger;
  /**
   * Sends an unsolicited message (request id 0); a no-op once the client is gone. `disposable`: a
   * relayed chunk in `message` nothing reads afterwards, freed once written (see FramedSocket.send).
   */
  send(message: Message, disposable?: Uint8Array): void;
  /** Bytes sent to this client that its connection has not flushed yet. */
  backlog(): number;
  /** Runs `callback` once the backlog is flushed: a producer paused for this client resumes there. */
  whenDrained(callback: () => void): void;
  /** Stops reading this client's requests until every hold is released (a slow destination of its
   * data pushes back on the client instead of filling the agent's memory). */
  holdInput(): void;
  releaseInput(): void;
  /** Registers cleanup that runs once, when the client disconnects. */
  onClose(cleanup: () => void): void;
}

export type Handler<T extends MessageType> = (
  request: MessageOf<T>,
  target: TargetContext,
  client: AgentClient,
) => Message | Promise<Message>;

export type FeatureHandlers = { readonly [T in MessageType]?: Handler<T> };

export function errorReply(
  errno: number,
  kind: (typeof ErrorKind)[keyof typeof ErrorKind],
  message: string,
): Message {
  return { type: "ErrorReply", error: { errno, kind, message } };
}
