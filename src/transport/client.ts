/**
 * A protocol client: connects, handshakes, then `request(message)` resolves with the reply to that
 * request. Server pings are answered automatically. `mirrord exec` uses `connectIntproxy` to fetch the
 * remote environment; the intproxy uses `ProtocolClient` for its one agent connection.
 */
import { connectNative, type NativeStream } from "../platform/index.ts";
import {
  checkHelloReply,
  type Frame,
  HandshakeError,
  helloMessage,
  type Message,
  type Role,
} from "../protocol/index.ts";
import { parseHostPort } from "./address.ts";
import { describeEnd, FramedSocket } from "./framed-socket.ts";
import { PendingRequests } from "./pending-requests.ts";

export interface ConnectOptions {
  /** `host:port` of the server. */
  address: string;
  role: Role;
  clientName: string;
  secret?: Uint8Array | null;
  /** Bounds the TCP connect plus the handshake. */
  timeoutMs: number;
}

/** The link ended: the server sent `Close`, hung up, or the transport failed. */
export class ConnectionLost extends Error {
  override readonly name = "ConnectionLost";
}

/** Connecting or handshaking failed; the message says which and why, in one line. */
export class ConnectError extends Error {
  override readonly name = "ConnectError";
}

export class ProtocolClient {
  private readonly pending = new PendingRequests();
  private unsolicitedHandler: (frame: Frame) => void = () => {};
  private closeHandlers: ((reason: string) => void)[] = [];
  private lostReason: string | null = null;
  private inputHolds = 0;
  private link!: FramedSocket;
  private hello: { resolve(reply: Message): void } | null = null;
  serverVersion = "";

  private constructor() {}

  static async connect(options: ConnectOptions): Promise<ProtocolClient> {
    const { host, port } = parseHostPort(options.address, "server address");
    const client = new ProtocolClient();
    const timeout = new Promise<never>((_, reject) => {
      const timer = setTimeout(
        () => reject(new ConnectError(`no handshake from ${options.address} within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
      timer.unref();
    });
    try {
      const socket = await Promise.race([openSocket(host, port, options.address), timeout]);
      const reply = client.attach(socket);
      client.link.send(helloMessage(options.role, options.clientName, options.secret ?? null));
      const answer = await Promise.race([reply, timeout]);
      if (answer.type === "Close")
        throw new ConnectError(`${options.address} hung up during the handshake: ${answer.reason}`);
      client.serverVersion = checkHelloReply(answer);
      return client;
    } catch (error) {
      client.close("handshake failed");
      if (error instanceof HandshakeError) throw new ConnectError(error.message);
      throw error;
    }
  }

  get isOpen(): boolean {
    return this.lostReason === null;
  }

  /** Sends `message` and resolves with its reply (any message, `ErrorReply` included). */
  request(message: Message, timeoutMs?: number): Promise<Message> {
    if (this.lostReason !== null) return Promise.reject(new ConnectionLost(this.lostReason));
    const { id, reply } = this.pending.open();
    this.link.send(message, id);
    if (timeoutMs === undefined) return reply;
    const timer = setTimeout(
      () => this.pending.abandon(id, new Error(`no reply to ${message.type} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    return reply.finally(() => clearTimeout(timer));
  }

  /** Sends a message that expects no reply (request id 0); `disposable` as in FramedSocket.send. */
  notify(message: Message, disposable?: Uint8Array): void {
    if (this.lostReason === null) this.link.send(message, 0n, disposable);
  }

  /** Bytes sent but not yet flushed to the server: relays stop reading their source above a bound. */
  backlog(): number {
    return this.link?.backlog ?? 0;
  }

  /** Runs `callback` once the backlog is flushed. */
  whenDrained(callback: () => void): void {
    this.link.whenDrained(callback);
  }

  /** Stops reading from the server until every hold is released (a slow local reader pushes back). */
  holdInput(): void {
    if (this.inputHolds++ === 0) this.link.pauseInput();
  }

  releaseInput(): void {
    if (this.inputHolds > 0 && --this.inputHolds === 0) this.link.resumeInput();
  }

  /** Messages that answer no pending request: Log, events, stream data. */
  onUnsolicited(handler: (frame: Frame) => void): void {
    this.unsolicitedHandler = handler;
  }

  /** Called once when the link ends, with the cause. */
  onClose(handler: (reason: string) => void): void {
    if (this.lostReason !== null) handler(this.lostReason);
    else this.closeHandlers.push(handler);
  }

  close(reason = "client closed the connection"): void {
    this.link?.close(reason);
  }

  /** Wires the socket; resolves with the first frame, which is the handshake reply. */
  private attach(socket: NativeStream): Promise<Message> {
    const first = new Promise<Message>((resolve) => {
      this.hello = { resolve };
    });
    this.link = new FramedSocket(socket, {
      onFrame: (frame) => this.receive(frame),
      onEnd: (end) => this.lost(end.kind === "local" ? end.reason : describeEnd(end)),
    });
    return first;
  }

  private receive(frame: Frame): void {
    const { requestId, message } = frame;
    if (this.hello) {
      this.hello.resolve(message);
      this.hello = null;
      return;
    }
    if (message.type === "Ping") {
      this.link.send({ type: "Pong" }, requestId);
      return;
    }
    if (message.type === "Close" && requestId === 0n) {
      this.link.close(`server closed the connection: ${message.reason}`, { notifyPeer: false });
      return;
    }
    if (requestId !== 0n && this.pending.settle(requestId, message)) return;
    this.unsolicitedHandler(frame);
  }

  private lost(reason: string): void {
    if (this.lostReason !== null) return;
    this.lostReason = reason;
    this.hello?.resolve({ type: "Close", reason });
    this.hello = null;
    this.pending.rejectAll(new ConnectionLost(reason));
    const handlers = this.closeHandlers;
    this.closeHandlers = [];
    for (const handler of handlers) handler(reason);
  }
}

function openSocket(host: string, port: number, address: string): Promise<NativeStream> {
  return new Promise((resolve, reject) => {
    const socket = connectNative(host, port);
    socket.once("connect", () => {
      socket.removeAllListeners("error");
      resolve(socket);
    });
    socket.once("error", (error: NodeJS.ErrnoException) =>
      reject(new ConnectError(`cannot connect to ${address}: ${error.code ?? error.message}`)),
    );
  });
}

/** Connects to the intproxy at `address` (what it printed) as a `cli` client. */
export function connectIntproxy(address: string, timeoutMs = 10_000): Promise<ProtocolClient> {
  return ProtocolClient.connect({ address, role: "cli", clientName: "mirrord-cli", timeoutMs });
}
