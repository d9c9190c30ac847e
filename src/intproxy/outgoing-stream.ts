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
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SocketAddress, socketAddressFromIp } from "../protocol/index.ts";
import type { ProtocolClient } from "../transport/client.ts";
import { releaseBytes } from "../transport/release-bytes.ts";

const AGENT_BACKLOG = 4 << 20;
const LOCAL_BACKLOG = 4 << 20;
/** The layer connects right after it gets the address; a listener nobody uses is not kept. */
const ACCEPT_TIMEOUT_MS = 30_000;

export type StreamListenKind = "ipv4" | "ipv6" | "unix";

export class InterceptStream {
  private socket: Socket | null = null;
  /** What the remote sent before the program's socket was accepted. */
  private readonly early: Uint8Array[] = [];
  private earlyBytes = 0;
  private remoteEnded = false;
  private finSent = false;
  /** We asked the agent to stop sending this connection's bytes. */
  private agentPaused = false;
  /** Why the program's socket is not being read. */
  private readonly readStops: Record<"link" | "peer", boolean> = { link: false, peer: false };
  private gone = false;
  private readonly acceptTimer: ReturnType<typeof setTimeout>;

  private constructor(
    readonly agentConnId: bigint,
    private readonly agent: ProtocolClient,
    private readonly server: Server,
    readonly address: SocketAddress,
    private readonly unixPath: string | null,
    private readonly onGone: () => void,
  ) {
    server.on("connection", (socket) => this.accepted(socket));
    this.acceptTimer = setTimeout(() => this.destroy(), ACCEPT_TIMEOUT_MS);
    this.acceptTimer.unref();
  }

  static async open(
    kind: StreamListenKind,
    agentConnId: bigint,
    agent: ProtocolClient,
    onGone: () => void,
  ): Promise<InterceptStream> {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: false });
    if (kind === "unix") {
      const dir = join(tmpdir(), "mirrord-unix-sockets");
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const path = join(dir, randomBytes(8).toString("hex"));
      await listen(server, { path });
      return new InterceptStream(agentConnId, agent, server, { kind: "unixPath", path }, path, onGone);
    }
    const host = kind === "ipv4" ? "127.0.0.1" : "::1";
    await listen(server, { host, port: 0 });
    const bound = server.address();
    const port = typeof bound === "object" && bound ? bound.port : 0;
    return new InterceptStream(agentConnId, agent, server, socketAddressFromIp(host, port), null, onGone);
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

  /** The remote end finished sending. */
  agentClosed(): void {
    this.remoteEnded = true;
    if (this.socket) this.socket.end();
  }

  destroy(): void {
    if (this.socket) this.socket.destroy();
    else this.finish();
  }

  private accepted(socket: Socket): void {
    if (this.socket) {
      socket.destroy();
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
  }

  private fromProgram(chunk: Buffer): void {
    this.agent.notify({ type: "OutgoingData", connId: this.agentConnId, data: chunk });
    releaseBytes(chunk); // encoded (copied) into the frame above
    if (this.agent.backlog() > AGENT_BACKLOG && !this.readStops.link) {
      this.stopReading("link", true);
      this.agent.whenDrained(() => this.stopReading("link", false));
    }
  }

  private stopReading(reason: "link" | "peer", stop: boolean): void {
    this.readStops[reason] = stop;
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    if (this.readStops.link || this.readStops.peer) socket.pause();
    else socket.resume();
  }

  private programFinished(): void {
    if (this.finSent) return;
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
    this.programFinished();
    // The program's socket is gone for good while the remote may still be sending: say so.
    if (!this.remoteEnded) this.agent.notify({ type: "OutgoingClose", connId: this.agentConnId });
    this.onGone();
  }

  private closeListener(): void {
    if (!this.server.listening) return;
    this.server.close();
    if (this.unixPath) rmSync(this.unixPath, { force: true });
  }
}

function listen(server: Server, options: { host: string; port: number } | { path: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ ...options, backlog: 4 }, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
