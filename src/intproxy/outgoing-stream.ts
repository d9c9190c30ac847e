/**
 * The local end of one outgoing stream (TCP or unix): a one-shot listener the layer connects the
 * program's own socket to, then a relay between that socket and the agent's connection.
 *
 * Close handshake with the agent (see src/agent/features/outgoing-stream.ts): the first
 * `OutgoingClose` we send is the program's FIN; a second one means the program's socket is gone.
 * Flow control, per connection: the program's socket is not read while the agent link holds more
 * than AGENT_BACKLOG unsent bytes or while the agent asked for a pause (the remote is slow); the
 * agent is asked to pause this connection (`OutgoingPause`) while more than LOCAL_BACKLOG bytes wait
 * for the program to read them.
 *
 * A background connect (the program's socket is non-blocking) opens the intercept before the agent
 * has connected: the program's socket is accepted but not read until `remoteConnected` (the kernel
 * buffers its bytes), and `remoteFailed` resets it, so the program sees ECONNRESET as it would from
 * the remote itself.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ListenAddress,
  listenNative,
  type NativeListener,
  type NativeStream,
} from "../platform/index.ts";
import { type SocketAddress, socketAddressFromIp } from "../protocol/index.ts";
import type { ProtocolClient } from "../transport/client.ts";
import { PodAddress } from "./outgoing-pod-address.ts";

const AGENT_BACKLOG = 4 << 20;
const LOCAL_BACKLOG = 4 << 20;
/** The layer connects right after it gets the address; a listener nobody uses is not kept. */
const ACCEPT_TIMEOUT_MS = 30_000;

export type StreamListenKind = "ipv4" | "ipv6" | "unix";
/** Where the agent's connection for this intercept stands. */
type RemoteState = "connecting" | "connected" | "failed";
/** Why the program's socket may not be read: the agent link is full, the remote is slow, the remote is not connected yet. */
type ReadStop = "link" | "peer" | "remote";

export class InterceptStream {
  private socket: NativeStream | null = null;
  private listening = true;
  /** What the remote sent before the program's socket was accepted. */
  private readonly early: Uint8Array[] = [];
  private earlyBytes = 0;
  private remoteEnded = false;
  private finSent = false;
  /** We asked the agent to stop sending this connection's bytes. */
  private agentPaused = false;
  /** Why the program's socket is not being read. */
  private readonly readStops: Record<ReadStop, boolean>;
  private gone = false;
  private readonly acceptTimer: ReturnType<typeof setTimeout>;
  private remote: RemoteState;
  /** The connection's local address in the pod (getsockname), once the agent connected. */
  readonly podAddress = new PodAddress();

  private constructor(
    readonly agentConnId: bigint,
    private readonly agent: ProtocolClient,
    private readonly listener: NativeListener,
    readonly address: SocketAddress,
    private readonly unixPath: string | null,
    private readonly onGone: () => void,
    remote: RemoteState,
  ) {
    this.remote = remote;
    this.readStops = { link: false, peer: false, remote: remote === "connecting" };
    this.acceptTimer = setTimeout(() => this.destroy(), ACCEPT_TIMEOUT_MS);
    this.acceptTimer.unref();
  }

  /** `remote`: "connected" when the agent's connection exists, "connecting" for a background connect. */
  static async open(
    kind: StreamListenKind,
    agentConnId: bigint,
    agent: ProtocolClient,
    onGone: () => void,
    remote: "connecting" | "connected" = "connected",
  ): Promise<InterceptStream> {
    let intercept: InterceptStream | undefined;
    const listen = (where: ListenAddress) => listenNative(where, (socket) => intercept?.accepted(socket));
    if (kind === "unix") {
      const dir = join(tmpdir(), "mirrord-unix-sockets");
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const path = join(dir, randomBytes(8).toString("hex"));
      const listener = listen({ path });
      intercept = new InterceptStream(
        agentConnId,
        agent,
        listener,
        { kind: "unixPath", path },
        path,
        onGone,
        remote,
      );
      return intercept;
    }
    const host = kind === "ipv4" ? "127.0.0.1" : "::1";
    const listener = listen({ host, port: 0 });
    intercept = new InterceptStream(
      agentConnId,
      agent,
      listener,
      socketAddressFromIp(host, listener.port),
      null,
      onGone,
      remote,
    );
    return intercept;
  }

  /** Whether the program's socket has connected. */
  get connected(): boolean {
    return this.socket !== null;
  }

  /** Bytes from the remote end. */
  fromAgent(data: Uint8Array): void {
    if (!this.socket) {
      this.early.push(data);
      this.earlyBytes += data.length;
      if (this.earlyBytes > LOCAL_BACKLOG) this.pauseAgent();
      return;
    }
    this.socket.write(data);
    if (this.socket.writableLength > LOCAL_BACKLOG) this.pauseAgent();
  }

  /** The agent's `OutgoingPause` / `OutgoingResume`: its remote is not taking bytes fast enough. */
  peerPaused(paused: boolean): void {
    this.stopReading("peer", paused);
  }

  /** The agent's connection for a background connect is up: the program's bytes may flow. */
  remoteConnected(podAddress: SocketAddress): void {
    if (this.remote !== "connecting") return;
    this.remote = "connected";
    this.podAddress.settle(podAddress);
    if (this.gone) this.closeAgentConnection();
    else this.stopReading("remote", false);
  }

  /** The agent could not connect: the program's connection is reset. */
  remoteFailed(): void {
    if (this.remote !== "connecting") return;
    this.remote = "failed";
    this.podAddress.settle(null);
    if (this.socket) this.socket.resetAndDestroy();
    else this.finish();
  }

  /** The remote end finished sending. */
  agentClosed(): void {
    this.remoteEnded = true;
    if (this.socket) this.socket.end();
  }

  destroy(): void {
    if (this.socket) this.socket.destroy();
    else this.finish();
  }

  private accepted(socket: NativeStream): void {
    if (this.socket || this.gone) {
      socket.resetAndDestroy();
      return;
    }
    clearTimeout(this.acceptTimer);
    this.socket = socket;
    this.closeListener();
    socket.setNoDelay(true);
    for (const chunk of this.early.splice(0)) this.fromAgent(chunk);
    if (socket.writableLength <= LOCAL_BACKLOG) this.programDrained();
    if (this.remoteEnded) socket.end();
    socket.on("data", (chunk: Buffer) => this.fromProgram(chunk));
    socket.on("end", () => this.programFinished());
    socket.on("drain", () => this.programDrained());
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.finish());
    if (this.readStops.remote) socket.pause();
  }

  private fromProgram(chunk: Buffer): void {
    this.agent.notify({ type: "OutgoingData", connId: this.agentConnId, data: chunk }, chunk);
    if (this.agent.backlog() > AGENT_BACKLOG && !this.readStops.link) {
      this.stopReading("link", true);
      this.agent.whenDrained(() => this.stopReading("link", false));
    }
  }

  private stopReading(reason: ReadStop, stop: boolean): void {
    this.readStops[reason] = stop;
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    if (this.readStops.link || this.readStops.peer || this.readStops.remote) socket.pause();
    else socket.resume();
  }

  private programFinished(): void {
    if (this.finSent || this.remote !== "connected") return;
    this.finSent = true;
    this.agent.notify({ type: "OutgoingClose", connId: this.agentConnId });
  }

  private pauseAgent(): void {
    if (this.agentPaused) return;
    this.agentPaused = true;
    this.agent.notify({ type: "OutgoingPause", connId: this.agentConnId });
  }

  private programDrained(): void {
    if (!this.agentPaused) return;
    this.agentPaused = false;
    this.agent.notify({ type: "OutgoingResume", connId: this.agentConnId });
  }

  private finish(): void {
    if (this.gone) return;
    this.gone = true;
    clearTimeout(this.acceptTimer);
    this.closeListener();
    // Before the agent connected it does not know this id yet: remoteConnected closes it then.
    if (this.remote === "connected") this.closeAgentConnection();
    this.onGone();
  }

  /** The program's socket is gone for good: the agent's FIN, and a second close while the remote may still send. */
  private closeAgentConnection(): void {
    this.programFinished();
    if (!this.remoteEnded) this.agent.notify({ type: "OutgoingClose", connId: this.agentConnId });
  }

  private closeListener(): void {
    if (!this.listening) return;
    this.listening = false;
    this.listener.stop();
    if (this.unixPath) rmSync(this.unixPath, { force: true });
  }
}
