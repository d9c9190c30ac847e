/**
 * One outgoing UDP "connection": a datagram socket in the target's network namespace connected to
 * one remote address. Each `OutgoingData` is one datagram, both ways; nothing is buffered beyond
 * what the kernel holds, and losing datagrams is UDP's own contract.
 */
import type { Socket } from "node:dgram";
import type { AgentClient } from "./handler.ts";

export class OutgoingDatagram {
  private closed = false;

  constructor(
    readonly connId: bigint,
    private readonly socket: Socket,
    client: AgentClient,
    private readonly onGone: (datagram: OutgoingDatagram) => void,
  ) {
    socket.on("message", (data: Buffer) => client.send({ type: "OutgoingData", connId, data }));
    // An ICMP "port unreachable" surfaces as an error on a connected UDP socket; like the kernel, the
    // socket stays usable, so the error is only dropped.
    socket.on("error", () => {});
    socket.on("close", () => this.finish());
  }

  write(data: Uint8Array): void {
    if (!this.closed) this.socket.send(data);
  }

  /** Datagrams are not flow-controlled: a pause request is ignored, as the kernel would drop instead. */
  peerPaused(_paused: boolean): void {}

  clientClosed(): void {
    this.destroy();
  }

  destroy(): void {
    if (this.closed) return;
    this.socket.close();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onGone(this);
  }
}
