/**
 * One outgoing stream connection (TCP or unix stream) the agent made from the target's network
 * namespace for a client, relaying bytes both ways as `OutgoingData`.
 *
 * Close handshake: `OutgoingClose` from either side means "this side sent everything" (a FIN). The
 * socket is destroyed once both sides have finished, when it fails, or when the client sends a
 * second `OutgoingClose` (its end of the connection is gone altogether).
 *
 * Flow control keeps memory bounded whatever the speeds: the remote socket is not read while more
 * than CLIENT_BACKLOG bytes wait to reach the client, and the client's link is not read while more
 * than REMOTE_BACKLOG bytes wait to reach the remote.
 */
import type { Socket } from "node:net";
import type { Message } from "../../protocol/index.ts";
import type { AgentClient } from "./handler.ts";

export const CLIENT_BACKLOG = 256 << 10;
export const REMOTE_BACKLOG = 4 << 20;

export class OutgoingStream {
  private clientFinished = false;
  private remoteFinished = false;
  private inputHeld = false;

  constructor(
    readonly connId: bigint,
    private readonly socket: Socket,
    private readonly client: AgentClient,
    private readonly onGone: (stream: OutgoingStream) => void,
  ) {
    socket.on("data", (chunk: Buffer) => this.fromRemote(chunk));
    socket.on("end", () => this.remoteEnded());
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.closed());
    socket.on("drain", () => this.releaseInput());
  }

  /** Bytes from the client. */
  write(data: Uint8Array): void {
    if (this.clientFinished || this.socket.destroyed) return;
    this.socket.write(data);
    if (this.socket.writableLength > REMOTE_BACKLOG && !this.inputHeld) {
      this.inputHeld = true;
      this.client.holdInput();
    }
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
    this.send({ type: "OutgoingData", connId: this.connId, data: chunk });
    if (this.client.backlog() > CLIENT_BACKLOG && !this.socket.isPaused()) {
      this.socket.pause();
      this.client.whenDrained(() => {
        if (!this.socket.destroyed) this.socket.resume();
      });
    }
  }

  private remoteEnded(): void {
    if (this.remoteFinished) return;
    this.remoteFinished = true;
    this.send({ type: "OutgoingClose", connId: this.connId });
    if (this.clientFinished) this.socket.destroy();
  }

  private closed(): void {
    this.remoteEnded();
    this.releaseInput();
    this.onGone(this);
  }

  private releaseInput(): void {
    if (!this.inputHeld) return;
    this.inputHeld = false;
    this.client.releaseInput();
  }

  private send(message: Message): void {
    this.client.send(message);
  }
}
