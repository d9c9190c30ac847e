/**
 * One layer (or CLI) connection to the intproxy: handshake, then its requests travel over the shared
 * agent connection. The agent link assigns its own request ids; this session keeps the layer's ids and
 * answers each request under the id the layer used.
 */
import type { Socket } from "node:net";
import { answerHello, ErrorKind, type Frame, type Message, type ServerIdentity } from "../protocol/index.ts";
import type { ProtocolClient } from "../transport/client.ts";
import { answerSessionControl, describeEnd, FramedSocket } from "../transport/framed-socket.ts";
import type { Logger } from "../transport/log.ts";
import type { EnvComposer } from "./env-composer.ts";
import type { IncomingProxy } from "./incoming.ts";
import type { OutgoingRelay } from "./outgoing.ts";

/** The errno a layer sees for requests cut off by the agent's loss. */
export const AGENT_LOST_ERRNO = 5; // EIO

export interface LayerSessionDeps {
  id: number;
  identity: ServerIdentity;
  agent: ProtocolClient;
  /** Turns the agent's Env into what the program gets (env_file, mapping, override). */
  composeEnv: EnvComposer;
  log: Logger;
  /** Makes the layers' outgoing connections (Connect → local intercept + agent connection). */
  outgoing: OutgoingRelay;
  /** The layers' listeners on mirrored/stolen ports (Subscribe, Unsubscribe, ConnMetadata). */
  incoming: IncomingProxy;
  onEnd: (session: LayerSession) => void;
}

export class LayerSession {
  private readonly link: FramedSocket;
  private handshaken = false;
  /** Layer request ids waiting for the agent's reply. */
  private readonly inFlight = new Set<bigint>();

  constructor(
    socket: Socket,
    private readonly deps: LayerSessionDeps,
  ) {
    this.link = new FramedSocket(socket, {
      onFrame: (frame) => this.receive(frame),
      onEnd: (end) => {
        deps.log.info("layer disconnected", { layer: deps.id, cause: describeEnd(end) });
        deps.outgoing.layerEnded(deps.id);
        deps.incoming.layerEnded(deps.id);
        deps.onEnd(this);
      },
    });
  }

  /** Answers every in-flight request with `ErrorReply{agentLost}`, then sends `Close{reason}`. */
  agentLost(reason: string): void {
    for (const requestId of this.inFlight)
      this.link.send(
        {
          type: "ErrorReply",
          error: { errno: AGENT_LOST_ERRNO, kind: ErrorKind.agentLost, message: reason },
        },
        requestId,
      );
    this.inFlight.clear();
    this.link.close(reason);
  }

  close(reason: string): void {
    this.link.close(reason);
  }

  private receive({ requestId, message }: Frame): void {
    if (!this.handshaken) {
      this.handshake(message, requestId);
      return;
    }
    if (answerSessionControl(this.link, message, requestId)) return;
    if (requestId === 0n) this.deps.agent.notify(message);
    else if (message.type === "Connect")
      this.answer(requestId, () => this.deps.outgoing.connect(message, this.deps.id));
    else if (message.type === "ConnectInBackground")
      this.answer(requestId, () => this.deps.outgoing.connectInBackground(message, this.deps.id));
    else if (message.type === "OutgoingLocalAddress")
      this.answer(requestId, () => this.deps.outgoing.podAddress(message));
    else if (message.type === "Subscribe")
      this.answer(requestId, () => this.deps.incoming.subscribe(this.deps.id, message));
    else if (message.type === "Unsubscribe") {
      this.deps.incoming.unsubscribe(this.deps.id, message.port);
      this.answer(requestId, async () => ({ type: "Ok" }));
    } else if (message.type === "ConnMetadata")
      this.answer(requestId, () => this.deps.incoming.peers.lookup(message));
    else this.forward(message, requestId);
  }

  private handshake(first: Message, requestId: bigint): void {
    let answer = answerHello(first, this.deps.identity);
    if (answer.type === "HelloOk" && first.type === "Hello" && first.role === "intproxy")
      answer = {
        type: "HelloRejected",
        reason: "unexpected",
        message: "role intproxy cannot connect to an intproxy",
      };
    this.link.send(answer, requestId);
    if (answer.type === "HelloRejected") {
      this.deps.log.warn("layer rejected", { layer: this.deps.id, detail: answer.message });
      this.link.close(`handshake rejected: ${answer.message}`, { notifyPeer: false });
      return;
    }
    this.handshaken = true;
    if (first.type === "Hello")
      this.deps.log.info("layer connected", {
        layer: this.deps.id,
        role: first.role,
        name: first.clientName,
      });
  }

  private forward(message: Message, requestId: bigint): void {
    this.answer(requestId, () =>
      this.deps.agent
        .request(message)
        .then((reply) => (reply.type === "Env" ? this.deps.composeEnv(reply) : reply)),
    );
  }

  /** Answers `requestId` with what `produce` resolves to, unless `agentLost` answered it first. */
  private answer(requestId: bigint, produce: () => Promise<Message>): void {
    if (this.inFlight.has(requestId)) {
      this.link.send(
        {
          type: "ErrorReply",
          error: {
            errno: 22,
            kind: ErrorKind.badRequest,
            message: `request id ${requestId} is already in flight`,
          },
        },
        requestId,
      );
      return;
    }
    this.inFlight.add(requestId);
    produce().then(
      (answer) => {
        if (this.inFlight.delete(requestId)) this.link.send(answer, requestId);
      },
      () => {
        // The agent link is gone: `agentLost` answers this request, if it has not already.
      },
    );
  }
}
