/**
 * The agent's listener: accepts any number of clients, checks their heartbeats, and finishes when
 * nobody has been connected for the communication timeout (from start, and after the last client left).
 * A client may come over a resumable stream (src/transport/resumable-stream.ts): its session then
 * survives a dropped connection for the communication timeout, waiting for the client to resume.
 */
import { listenNative, type NativeListener } from "../platform/index.ts";
import type { ServerIdentity } from "../protocol/index.ts";
import type { ByteStream } from "../transport/byte-stream.ts";
import { IdleTimer } from "../transport/idle-timer.ts";
import type { Logger } from "../transport/log.ts";
import { ResumableServer } from "../transport/resumable-stream-server.ts";
import { ClientSession } from "./client-session.ts";
import { Dispatcher } from "./dispatcher.ts";
import { FEATURES } from "./features/index.ts";
import type { TargetContext } from "./target.ts";

export interface AgentServerOptions {
  port: number;
  timeoutMs: number;
  identity: ServerIdentity;
  target: TargetContext;
  log: Logger;
}

/** Dual-stack `[::]` when the namespace has IPv6, else `0.0.0.0`. */
function listen(
  port: number,
  onStream: (stream: ByteStream) => void,
): { listener: NativeListener; address: string } {
  try {
    return { listener: listenNative({ host: "::", port }, onStream), address: `[::]:${port}` };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EAFNOSUPPORT" && code !== "EADDRNOTAVAIL") throw error;
    return { listener: listenNative({ host: "0.0.0.0", port }, onStream), address: `0.0.0.0:${port}` };
  }
}

export class AgentServer {
  private listener: NativeListener | null = null;
  private readonly resumable: ResumableServer;
  private readonly sessions = new Set<ClientSession>();
  private readonly dispatcher = new Dispatcher(FEATURES);
  private nextClientId = 0;
  private idle: IdleTimer | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private finished!: (reason: string) => void;
  /** Resolves with why the agent stopped serving. */
  readonly done = new Promise<string>((resolve) => {
    this.finished = resolve;
  });

  constructor(private readonly options: AgentServerOptions) {
    this.resumable = new ResumableServer({
      graceMs: options.timeoutMs,
      onStream: (stream) => this.accept(stream),
      onNotice: (message, fields) => options.log.info(`resumable ${message}`, fields),
    });
  }

  /** Binds the port; returns the address it listens on. */
  async start(): Promise<string> {
    const { listener, address } = listen(this.options.port, (socket) => {
      socket.on("error", () => {});
      this.resumable.route(socket, (plain) => this.accept(plain));
    });
    this.listener = listener;
    const { timeoutMs } = this.options;
    this.idle = new IdleTimer({
      startMs: timeoutMs,
      idleMs: timeoutMs,
      onExpire: (cause) =>
        this.stop(
          cause === "start"
            ? `no client connected within ${timeoutMs / 1000} s`
            : `no client left for ${timeoutMs / 1000} s`,
        ),
    });
    this.heartbeat = setInterval(
      () => {
        const now = Date.now();
        for (const session of this.sessions) session.checkHeartbeat(now);
      },
      Math.min(1_000, timeoutMs / 2),
    );
    return address;
  }

  stop(reason: string): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.idle?.stop();
    this.listener?.stop();
    for (const session of this.sessions) session.close(`agent shutting down: ${reason}`);
    this.resumable.closeAll(`agent shutting down: ${reason}`);
    this.finished(reason);
  }

  private accept(socket: ByteStream): void {
    const { identity, target, log, timeoutMs } = this.options;
    this.idle?.peerArrived();
    const session = new ClientSession(socket, {
      id: this.nextClientId++,
      identity,
      dispatcher: this.dispatcher,
      target,
      log,
      timeoutMs,
      onEnd: (ended) => {
        if (this.sessions.delete(ended)) this.idle?.peerLeft();
      },
    });
    this.sessions.add(session);
  }
}
