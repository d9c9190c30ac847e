/**
 * One outgoing stream connection (TCP or unix stream) the agent made from the target's network
 * namespace for a client, relaying bytes both ways as `OutgoingData`.
 *
 * Close handshake: `OutgoingClose` from either side means "this side sent everything" (a FIN). The
 * socket is destroyed once both sides have finished, when it fails, or when the client sends a
 * second `OutgoingClose` (its end of the connection is gone altogether).
 *
 * Flow control keeps memory bounded whatever the speeds, per connection: the remote socket is not
 * read while the client's link holds more than CLIENT_BACKLOG unsent bytes or while the client asked
 * for a pause (`OutgoingPause`, its program reads slowly); the client is asked to pause this
 * connection while more than REMOTE_BACKLOG bytes wait to reach the remote.
 */
import type { ByteStream } from "../../transport/byte-stream.ts";
import type { AgentClient } from "./handler.ts";

export const CLIENT_BACKLOG = 256 << 10;
export const REMOTE_BACKLOG = 4 << 20;

/** The link to the client is full, or the client asked for a pause. */
type ReadStop = "link" | "peer";

export class OutgoingStream {
  private clientFinished = false;
  private remoteFinished = false;
  /** We asked the client to stop sending this connection's bytes. */
  private clientPaused = false;
  /** Why the remote socket is not being read. */
  private readonly readStops: Record<ReadStop, boolean> = { link: false, peer: false };

  constructor(
    readonly connId: bigint,
    private readonly socket: ByteStream,
    private readonly client: AgentClient,
    private readonly onGone: (stream: OutgoingStream) => void,
  ) {
    socket.on("data", (chunk: Buffer) => this.fromRemote(chunk));
    socket.on("end", () => this.remoteEnded());
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.closed());
    socket.on("drain", () => this.remoteDrained());
  }

  /** Bytes from the client. */
  write(data: Uint8Array): void {
    if (this.clientFinished || this.socket.destroyed) return;
    this.socket.write(data);
    if (this.socket.writableLength > REMOTE_BACKLOG && !this.clientPaused) {
      this.clientPaused = true;
      this.client.send({ type: "OutgoingPause", connId: this.connId });
    }
  }

  /** The client's `OutgoingPause` / `OutgoingResume`. */
  peerPaused(paused: boolean): void {
    this.stopReading("peer", paused);
  }

  /** The client's `OutgoingClose`. */
  clientClosed(): void {
    if (this.clientFinished) {
      this.socket.destroy();
      return;
    }
    this.clientFinished = true;
    if (this.remoteFinished) this.socket.destroy();
    else this.socket.end();
  }

  /** The client went away: drop the connection. */
  destroy(): void {
    this.socket.destroy();
  }

  private fromRemote(chunk: Buffer): void {
    this.client.send({ type: "OutgoingData", connId: this.connId, data: chunk }, chunk);
    if (this.client.backlog() > CLIENT_BACKLOG && !this.readStops.link) {
      this.stopReading("link", true);
      this.client.whenDrained(() => this.stopReading("link", false));
    }
  }

  private stopReading(reason: ReadStop, stop: boolean): void {
    this.readStops[reason] = stop;
    if (this.socket.destroyed) return;
    if (this.readStops.link || this.readStops.peer) this.socket.pause();
    else this.socket.resume();
  }

  private remoteDrained(): void {
    if (!this.clientPaused) return;
    this.clientPaused = false;
    this.client.send({ type: "OutgoingResume", connId: this.connId });
  }

  private remoteEnded(): void {
    if (this.remoteFinished) return;
    this.remoteFinished = true;
    this.client.send({ type: "OutgoingClose", connId: this.connId });
    if (this.clientFinished) this.socket.destroy();
  }

  private closed(): void {
    this.remoteEnded();
    this.onGone(this);
  }
}
