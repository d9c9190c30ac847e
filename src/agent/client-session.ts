/**
 * One connected client of the agent: handshake first, then every request is dispatched and answered
 * with its own request id. A malformed frame ends only this client (`Close{reason}` first).
 */
import { answerHello, type Frame, type Message, type ServerIdentity } from "../protocol/index.ts";
import type { ByteStream } from "../transport/byte-stream.ts";
import {
  answerSessionControl,
  describeEnd,
  FramedSocket,
  type SocketEnd,
} from "../transport/framed-socket.ts";
import type { Logger } from "../transport/log.ts";
import type { Dispatcher } from "./dispatcher.ts";
import type { AgentClient } from "./features/handler.ts";
import { heartbeatAction, type PeerLiveness } from "./heartbeat.ts";
import type { TargetContext } from "./target.ts";

export interface SessionDeps {
  id: number;
  identity: ServerIdentity;
  dispatcher: Dispatcher;
  target: TargetContext;
  log: Logger;
  timeoutMs: number;
  onEnd: (session: ClientSession) => void;
}

export class ClientSession {
  private readonly link: FramedSocket;
  private readonly liveness: PeerLiveness = { handshaken: false, lastHeardMs: Date.now(), pingSentMs: null };
  private readonly cleanups: (() => void)[] = [];
  private closed = false;
  /** Outstanding `holdInput` calls: the client's requests are not read while any is held. */
  private inputHolds = 0;
  /** What feature handlers see of this client. */
  private readonly client: AgentClient;

  constructor(
    socket: ByteStream,
    private readonly deps: SessionDeps,
  ) {
    this.client = {
      id: deps.id,
      log: deps.log,
      send: (message, disposable) => {
        if (!this.closed) this.link.send(message, 0n, disposable);
      },
      backlog: () => this.link.backlog,
      whenDrained: (callback) => this.link.whenDrained(callback),
      holdInput: () => {
        if (this.inputHolds++ === 0) this.link.pauseInput();
      },
      releaseInput: () => {
        if (this.inputHolds > 0 && --this.inputHolds === 0) this.link.resumeInput();
      },
      onClose: (cleanup) => {
        if (this.closed) cleanup();
        else this.cleanups.push(cleanup);
      },
    };
    this.link = new FramedSocket(socket, {
      onFrame: (frame) => this.receive(frame),
      onEnd: (end) => this.ended(end),
    });
    deps.log.debug("client connected", { client: deps.id, peer: this.link.remoteAddress });
  }

  /** Called periodically by the server: pings a quiet client, drops an unresponsive one. */
  checkHeartbeat(nowMs: number): void {
    // Unread requests while input is held are the agent's choice, not a silent client.
    if (this.inputHolds > 0) this.liveness.lastHeardMs = nowMs;
    const action = heartbeatAction(this.liveness, nowMs, this.deps.timeoutMs);
    if (action === "ping") {
      this.liveness.pingSentMs = nowMs;
      this.link.send({ type: "Ping" });
    } else if (action === "drop") {
      const why = this.liveness.handshaken ? "did not answer a ping" : "did not complete the handshake";
      this.link.close(`client ${why} within ${this.deps.timeoutMs / 1000} s`);
    }
  }

  close(reason: string): void {
    this.link.close(reason);
  }

  private receive({ requestId, message }: Frame): void {
    this.liveness.lastHeardMs = Date.now();
    this.liveness.pingSentMs = null;
    if (!this.liveness.handshaken) {
      this.handshake(message, requestId);
      return;
    }
    if (message.type === "Close") {
      this.deps.log.debug("client said goodbye", { client: this.deps.id, reason: message.reason });
    }
    if (!answerSessionControl(this.link, message, requestId)) this.answer(message, requestId);
  }

  private handshake(first: Message, requestId: bigint): void {
    const answer = answerHello(first, this.deps.identity);
    this.link.send(answer, requestId);
    if (answer.type === "HelloRejected") {
      this.deps.log.warn("client rejected", {
        client: this.deps.id,
        reason: answer.reason,
        detail: answer.message,
      });
      this.link.close(`handshake rejected: ${answer.message}`, { notifyPeer: false });
      return;
    }
    this.liveness.handshaken = true;
    if (first.type === "Hello")
      this.deps.log.info("client ready", { client: this.deps.id, role: first.role, name: first.clientName });
  }

  private answer(request: Message, requestId: bigint): void {
    const reply = this.deps.dispatcher.dispatch(request, this.deps.target, this.client);
    if (reply instanceof Promise) void reply.then((settled) => this.reply(request, requestId, settled));
    else this.reply(request, requestId, reply);
  }

  private reply(request: Message, requestId: bigint, reply: Message): void {
    // Request id 0 marks a notification: the client expects no reply.
    if (requestId !== 0n) this.link.send(reply, requestId);
    if (reply.type === "ErrorReply")
      this.deps.log.debug("request failed", {
        client: this.deps.id,
        request: request.type,
        error: reply.error.message,
      });
  }

  private ended(end: SocketEnd): void {
    const level = end.kind === "malformed" || end.kind === "error" ? "warn" : "info";
    this.deps.log.log(level, "client disconnected", { client: this.deps.id, cause: describeEnd(end) });
    this.closed = true;
    for (const cleanup of this.cleanups.splice(0)) {
      try {
        cleanup();
      } catch (error) {
        this.deps.log.warn("client cleanup failed", { client: this.deps.id, error: String(error) });
      }
    }
    this.deps.onEnd(this);
  }
}
