/**
 * Carries one tapped connection to the client that subscribed its port: `NewConnection`, then the
 * client's bytes as `IncomingData` (empty = the client finished sending) and `IncomingClose`; the
 * subscriber's bytes come back the same way (steal only). Until the subscriber has answered, the
 * client's bytes are also kept (bounded) so that a connection the subscriber cannot take
 * (`IncomingUnreachable`, or the subscriber is gone) can still go to the pod's own app, intact.
 */
import { ipAddressFromText, type SocketAddress } from "../../protocol/index.ts";
import type { AgentClient } from "../features/handler.ts";
import type { Endpoint, TappedConnection } from "./tap.ts";

/** Bytes kept for a replay; a connection that sent more before any answer can no longer fall back. */
const REPLAY_LIMIT = 1 << 20;
/** Unflushed bytes to a client above which reading the tapped connection pauses. */
const CLIENT_BACKLOG_LIMIT = 4 << 20;

export function socketAddressOf({ address, port }: Endpoint): SocketAddress {
  const ip = ipAddressFromText(address);
  return ip.kind === "v4"
    ? { kind: "ipv4", ip: ip.octets, port }
    : { kind: "ipv6", ip: ip.octets, port, flowinfo: 0, scopeId: 0 };
}

export class ConnectionRelay {
  /** Client bytes sent before the subscriber's first answer; null once answered or too large. */
  private replay: Uint8Array[] | null = [];
  private replayBytes = 0;
  private finished = false;

  constructor(
    readonly connId: bigint,
    readonly subscriber: AgentClient,
    private readonly connection: TappedConnection,
    /** What to do with a connection the subscriber cannot take (steal: pass it to the pod's app). */
    private readonly fallback: (replay: readonly Uint8Array[]) => void,
    private readonly onFinished: (relay: ConnectionRelay) => void,
  ) {
    subscriber.send({
      type: "NewConnection",
      connId,
      port: connection.port,
      remoteAddress: socketAddressOf(connection.remote),
      localAddress: socketAddressOf(connection.local),
    });
    const inbound = connection.inbound;
    inbound.on("data", (chunk: Buffer) => this.fromConnection(chunk));
    inbound.on("end", () => this.send(new Uint8Array()));
    inbound.on("error", (error) =>
      subscriber.log.debug("tapped connection error", { connId: String(connId), error: error.message }),
    );
    inbound.on("close", () => {
      if (this.finish()) subscriber.send({ type: "IncomingClose", connId });
    });
  }

  /** `IncomingData` from the subscriber: bytes for the client, or (empty) the subscriber shut down writing. */
  fromSubscriber(data: Uint8Array): void {
    this.replay = null;
    const reply = this.connection.reply;
    if (!reply || this.finished) return;
    if (data.length === 0) reply.end();
    else reply.write(data);
  }

  /** `IncomingClose` from the subscriber: it is done with the connection. */
  subscriberClosed(): void {
    if (!this.finish()) return;
    if (this.connection.reply) this.connection.reply.end();
    else this.connection.destroy();
  }

  /** The subscriber cannot take this connection (its listener is gone, or the subscriber itself is). */
  undeliverable(): void {
    if (!this.finish()) return;
    const replay = this.replay;
    this.connection.inbound.removeAllListeners("data");
    if (replay) this.fallback(replay);
    else this.connection.destroy();
  }

  private fromConnection(chunk: Buffer): void {
    if (this.replay) {
      this.replayBytes += chunk.length;
      if (this.replayBytes > REPLAY_LIMIT) this.replay = null;
      else this.replay.push(chunk);
    }
    this.send(chunk);
    if (this.subscriber.backlog() > CLIENT_BACKLOG_LIMIT) {
      this.connection.inbound.pause();
      this.subscriber.whenDrained(() => this.connection.inbound.resume());
    }
  }

  private send(data: Uint8Array): void {
    if (!this.finished) this.subscriber.send({ type: "IncomingData", connId: this.connId, data });
  }

  /** Marks the relay finished; false if it already was. */
  private finish(): boolean {
    if (this.finished) return false;
    this.finished = true;
    this.onFinished(this);
    return true;
  }
}
