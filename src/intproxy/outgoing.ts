/**
 * Outgoing connections of every layer, over the one agent link. For each `Connect` a layer sends,
 * the intproxy opens a local intercept (a loopback or unix listener for streams, a loopback datagram
 * socket for UDP) BEFORE asking the agent, so no byte from the remote can arrive unrouted, then
 * answers the layer with the agent's `Connected` plus `interceptAddress`. The layer connects the
 * program's own socket there; from then on bytes are relayed as `OutgoingData`.
 *
 * A non-blocking TCP connect (`ConnectInBackground`) is answered at once with `ConnectPending`: the
 * agent connects meanwhile, and the intercept holds the program's bytes until it has (see
 * outgoing-stream.ts). `OutgoingLocalAddress` then tells the layer the connection's pod-side address.
 *
 * The agent sees only this process's connection ids (one counter for all layers); a layer's own id
 * is echoed back in its reply and otherwise unused.
 */
import { ErrorKind, ipEndpoint, type Message, type MessageOf } from "../protocol/index.ts";
import type { ProtocolClient } from "../transport/client.ts";
import type { Logger } from "../transport/log.ts";
import { InterceptDatagram } from "./outgoing-datagram.ts";
import { PodAddressBook } from "./outgoing-pod-address.ts";
import { InterceptStream, type StreamListenKind } from "./outgoing-stream.ts";

const EAFNOSUPPORT = 97;
const EIO = 5;
const EINVAL = 22;
/** How long a getsockname waits for a background connect to reach the remote. */
const POD_ADDRESS_WAIT_MS = 5_000;

type Intercept = InterceptStream | InterceptDatagram;

export class OutgoingRelay {
  private nextConnId = 1n;
  private readonly intercepts = new Map<bigint, Intercept>();
  private readonly ofLayer = new Map<number, Set<bigint>>();
  private readonly podAddresses = new PodAddressBook();

  constructor(
    private readonly agent: ProtocolClient,
    private readonly log: Logger,
    /** Told when a connection's intercept opens and when it is gone (the intproxy's idle timer). */
    private readonly lifetime: { opened(): void; closed(): void },
  ) {}

  /** Answers a layer's `Connect` with `Connected{interceptAddress}` or the agent's error. */
  async connect(request: MessageOf<"Connect">, layerId: number): Promise<Message> {
    const agentConnId = this.nextConnId++;
    let intercept: Intercept;
    try {
      const opened = await this.openIntercept(request, agentConnId, () => this.forget(agentConnId, layerId));
      if (!opened)
        return errorReply(
          EAFNOSUPPORT,
          ErrorKind.notImplemented,
          `outgoing ${request.transport} is not supported`,
        );
      intercept = opened;
    } catch (error) {
      return interceptFailure(error);
    }
    this.track(agentConnId, layerId, intercept);

    let reply: Message;
    try {
      reply = await this.agent.request({ ...request, connId: agentConnId });
    } catch (error) {
      intercept.destroy();
      throw error;
    }
    if (reply.type !== "Connected") {
      this.forget(agentConnId, layerId);
      intercept.destroy();
      return reply;
    }
    this.log.debug("outgoing connection", {
      layer: layerId,
      conn: String(agentConnId),
      transport: request.transport,
    });
    return { ...reply, connId: request.connId, interceptAddress: intercept.address };
  }

  /** Answers a layer's `ConnectInBackground` at once with `ConnectPending`; the agent connects meanwhile. */
  async connectInBackground(request: MessageOf<"ConnectInBackground">, layerId: number): Promise<Message> {
    const ip = ipEndpoint(request.address);
    if (!ip) return errorReply(EINVAL, ErrorKind.badRequest, "a background connect needs an IP address");
    const agentConnId = this.nextConnId++;
    let intercept: InterceptStream;
    try {
      const kind = ip.family === 4 ? "ipv4" : "ipv6";
      const onGone = () => this.forget(agentConnId, layerId);
      intercept = await InterceptStream.open(kind, agentConnId, this.agent, onGone, "connecting");
    } catch (error) {
      return interceptFailure(error);
    }
    this.track(agentConnId, layerId, intercept);
    this.podAddresses.add(agentConnId, intercept.podAddress);
    const connect: Message = {
      type: "Connect",
      connId: agentConnId,
      transport: "tcp",
      address: request.address,
    };
    this.agent.request(connect).then(
      (reply) => {
        if (reply.type === "Connected") intercept.remoteConnected(reply.localAddress);
        else this.backgroundFailed(intercept, reply.type === "ErrorReply" ? reply.error.message : reply.type);
      },
      (error: Error) => this.backgroundFailed(intercept, error.message),
    );
    return { type: "ConnectPending", connId: agentConnId, interceptAddress: intercept.address };
  }

  /** Answers `OutgoingLocalAddress`: the pod-side address once the agent connected (bounded wait), else null. */
  async podAddress(request: MessageOf<"OutgoingLocalAddress">): Promise<Message> {
    const address = (await this.podAddresses.find(request.connId)?.get(POD_ADDRESS_WAIT_MS)) ?? null;
    return { type: "OutgoingLocalAddressResult", address };
  }

  /** Routes the agent's `OutgoingData`/`OutgoingPause`/`OutgoingResume`/`OutgoingClose`; false for others. */
  receive(message: Message): boolean {
    if (message.type === "OutgoingData") {
      this.intercepts.get(message.connId)?.fromAgent(message.data);
      return true;
    }
    if (message.type === "OutgoingPause" || message.type === "OutgoingResume") {
      this.intercepts.get(message.connId)?.peerPaused(message.type === "OutgoingPause");
      return true;
    }
    if (message.type === "OutgoingClose") {
      this.intercepts.get(message.connId)?.agentClosed();
      return true;
    }
    return false;
  }

  /**
   * A layer left. Its connected sockets may live on in children it forked, so they end with the socket
   * itself (streams) or its silence (datagrams); only intercepts nobody connected to yet go now.
   */
  layerEnded(layerId: number): void {
    for (const connId of this.ofLayer.get(layerId) ?? []) {
      const intercept = this.intercepts.get(connId);
      if (intercept instanceof InterceptStream && !intercept.connected) intercept.destroy();
    }
    this.ofLayer.delete(layerId);
  }

  private openIntercept(
    request: MessageOf<"Connect">,
    agentConnId: bigint,
    onGone: () => void,
  ): Promise<Intercept> | null {
    const ip = ipEndpoint(request.address);
    if (request.transport === "udp" && ip)
      return InterceptDatagram.open(ip.family, agentConnId, this.agent, onGone);
    let kind: StreamListenKind | null = null;
    if (request.transport === "tcp" && ip) kind = ip.family === 4 ? "ipv4" : "ipv6";
    if (request.transport === "unixStream" && !ip) kind = "unix";
    return kind ? InterceptStream.open(kind, agentConnId, this.agent, onGone) : null;
  }

  private track(agentConnId: bigint, layerId: number, intercept: Intercept): void {
    this.intercepts.set(agentConnId, intercept);
    this.lifetime.opened();
    const owned = this.ofLayer.get(layerId) ?? new Set();
    owned.add(agentConnId);
    this.ofLayer.set(layerId, owned);
  }

  private backgroundFailed(intercept: InterceptStream, reason: string): void {
    this.log.debug("background connect failed, resetting the program's connection", {
      conn: String(intercept.agentConnId),
      reason,
    });
    intercept.remoteFailed();
  }

  private forget(agentConnId: bigint, layerId: number): void {
    if (this.intercepts.delete(agentConnId)) this.lifetime.closed();
    this.podAddresses.retire(agentConnId);
    this.ofLayer.get(layerId)?.delete(agentConnId);
  }
}

function interceptFailure(error: unknown): Message {
  return errorReply(EIO, ErrorKind.io, `cannot open a local intercept: ${(error as Error).message}`);
}

function errorReply(
  errno: number,
  kind: (typeof ErrorKind)[keyof typeof ErrorKind],
  message: string,
): Message {
  return { type: "ErrorReply", error: { errno, kind, message } };
}
