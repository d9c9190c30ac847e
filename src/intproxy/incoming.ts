/**
 * Incoming traffic, laptop side. Layers subscribe the ports their programs listen on; the intproxy
 * holds one agent subscription per port for all of them (a stack of listeners: forks and exec'd
 * children can share a port, the newest gets new connections). For each connection the agent
 * announces, it connects into the program's real listener and relays bytes both ways (mirror: the
 * program's replies are dropped). When no listener is left, or it refuses, the agent hears
 * `IncomingUnreachable` and gives the connection to the pod's own app.
 */
import { connectNative, type NativeStream } from "../platform/index.ts";
import { ErrorKind, type Frame, type HttpFilter, type Message, type MessageOf } from "../protocol/index.ts";
import type { HostPort } from "../transport/address.ts";
import type { ProtocolClient } from "../transport/client.ts";
import type { Logger } from "../transport/log.ts";
import { writePaced } from "../transport/pacing.ts";
import { connectTargetOf } from "./incoming-addresses.ts";
import { IncomingPeers, type StolenPeer } from "./incoming-peers.ts";

const EINVAL = 22;
const EIO = 5;
/** Unflushed bytes to the agent above which reading the program's replies pauses. */
const AGENT_BACKLOG_LIMIT = 4 << 20;

interface Listener {
  layerId: number;
  target: HostPort;
}

interface PortState {
  mode: MessageOf<"Subscribe">["mode"];
  listeners: Listener[];
  /** The agent's answer to this port's subscription. */
  subscribed: Promise<Message>;
}

interface LocalConnection {
  socket: NativeStream;
  mirror: boolean;
  /** The program sent something back: the connection was taken. */
  answered: boolean;
  closedByAgent: boolean;
}

export class IncomingProxy {
  private readonly ports = new Map<number, PortState>();
  private readonly connections = new Map<bigint, LocalConnection>();
  readonly peers = new IncomingPeers();

  constructor(
    private readonly agent: ProtocolClient,
    private readonly log: Logger,
    /** The HTTP filter a stolen port's subscription carries (`incoming-http-filter.ts`); null = whole. */
    private readonly httpFilterFor: (port: number) => HttpFilter | null = () => null,
  ) {}

  /** A layer's `Subscribe`: answered once the agent has confirmed (or refused) the port. */
  async subscribe(layerId: number, request: MessageOf<"Subscribe">): Promise<Message> {
    const target = connectTargetOf(request.listenAddress);
    if (!target)
      return {
        type: "ErrorReply",
        error: {
          errno: EINVAL,
          kind: ErrorKind.badRequest,
          message: "Subscribe: listenAddress must be an IP address",
        },
      };
    let state = this.ports.get(request.port);
    if (!state) {
      const filter = request.mode === "steal" ? this.httpFilterFor(request.port) : null;
      state = { mode: request.mode, listeners: [], subscribed: this.agent.request({ ...request, filter }) };
      this.ports.set(request.port, state);
    }
    const listener = { layerId, target };
    state.listeners.push(listener);
    const answer = await state.subscribed.catch(
      (error): Message => ({
        type: "ErrorReply",
        error: { errno: EIO, kind: ErrorKind.agentLost, message: String(error) },
      }),
    );
    if (answer.type !== "Subscribed") this.removeListener(request.port, (l) => l === listener);
    else
      this.log.info("port subscribed", {
        layer: layerId,
        port: request.port,
        mode: request.mode,
        listener: `${target.host}:${target.port}`,
      });
    return answer;
  }

  /** A layer's `Unsubscribe` (its listener closed). */
  unsubscribe(layerId: number, port: number): void {
    this.removeListener(port, (l) => l.layerId === layerId, true);
  }

  /** Everything of a layer that disconnected. */
  layerEnded(layerId: number): void {
    for (const port of [...this.ports.keys()]) this.removeListener(port, (l) => l.layerId === layerId);
  }

  /** Where the program listens for remote `port`, if it does (for the HTTP replay). */
  listenerFor(port: number): HostPort | undefined {
    return this.ports.get(port)?.listeners.at(-1)?.target;
  }

  /** Handles the agent's incoming-traffic messages; false for anything else. */
  receive({ message }: Frame): boolean {
    switch (message.type) {
      case "NewConnection":
        this.open(message);
        return true;
      case "IncomingData": {
        const local = this.connections.get(message.connId);
        if (!local) return true;
        if (message.data.length === 0) local.socket.end();
        else writePaced(local.socket, this.agent, message.data);
        return true;
      }
      case "IncomingClose": {
        const local = this.connections.get(message.connId);
        if (local) {
          local.closedByAgent = true;
          local.socket.end();
          this.connections.delete(message.connId);
        }
        return true;
      }
      default:
        return false;
    }
  }

  private removeListener(port: number, matches: (listener: Listener) => boolean, onlyNewest = false): void {
    const state = this.ports.get(port);
    if (!state) return;
    if (onlyNewest) {
      const index = state.listeners.findLastIndex(matches);
      if (index >= 0) state.listeners.splice(index, 1);
    } else state.listeners = state.listeners.filter((listener) => !matches(listener));
    if (state.listeners.length > 0) return;
    this.ports.delete(port);
    this.agent.request({ type: "Unsubscribe", port }).catch(() => {});
    this.log.info("port unsubscribed", { port });
  }

  private open(announced: MessageOf<"NewConnection">): void {
    const { connId } = announced;
    const state = this.ports.get(announced.port);
    const target = state?.listeners.at(-1)?.target;
    if (!state || !target) {
      this.log.debug("connection for a port with no listener", {
        connId: String(connId),
        port: announced.port,
      });
      this.agent.notify({ type: "IncomingUnreachable", connId });
      return;
    }
    // Half-open both ways, like the connection it stands for.
    const socket = connectNative(target.host, target.port);
    const local: LocalConnection = {
      socket,
      mirror: state.mode === "mirror",
      answered: false,
      closedByAgent: false,
    };
    this.connections.set(connId, local);
    const peer: StolenPeer = { remoteAddress: announced.remoteAddress, localAddress: announced.localAddress };
    this.peers.register(socket, target.port, peer);
    socket.on("data", (data: Buffer) => {
      local.answered = true;
      if (local.mirror) return;
      this.agent.notify({ type: "IncomingData", connId, data });
      if (this.agent.backlog() > AGENT_BACKLOG_LIMIT) {
        socket.pause();
        this.agent.whenDrained(() => socket.resume());
      }
    });
    socket.on("end", () => {
      if (local.mirror) return;
      if (local.answered) this.agent.notify({ type: "IncomingData", connId, data: new Uint8Array() });
      // Finished without a byte of answer (typically the program died after reading the request: its
      // socket closes with a FIN, not a reset). Half-open, this socket would never close and the
      // client would wait forever; it is a dropped connection, which the pod's own app takes (below).
      else socket.destroy();
    });
    socket.on("error", (error) =>
      this.log.debug("local connection error", { connId: String(connId), error: error.message }),
    );
    socket.on("close", () => {
      this.log.debug("local connection closed", {
        connId: String(connId),
        answered: local.answered,
        byAgent: local.closedByAgent,
      });
      if (local.closedByAgent) return;
      this.connections.delete(connId);
      // Refused, or dropped unanswered (the program went away): the pod's own app takes it.
      this.agent.notify(
        local.answered ? { type: "IncomingClose", connId } : { type: "IncomingUnreachable", connId },
      );
    });
  }
}
