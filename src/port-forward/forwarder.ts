/**
 * `-L` forwarding: a listener on 127.0.0.1 per mapping; each accepted connection becomes an outgoing
 * TCP connection the agent makes from the target's network namespace (`Connect`, then `OutgoingData`
 * both ways, `OutgoingClose` as a FIN each way). Names are resolved by the agent, per connection.
 * Connections that arrive while the session re-dials the agent wait for it; those in flight when the
 * agent connection dropped are closed (their remote ends died with it).
 */
import { createServer, isIP, type Server, type Socket } from "node:net";
import {
  type AddrInfoEntry,
  type Frame,
  ipAddressToText,
  type SocketAddress,
  socketAddressFromIp,
} from "../protocol/index.ts";
import type { ProtocolClient } from "../transport/client.ts";
import { writePaced } from "../transport/pacing.ts";
import type { ForwardMapping } from "./mappings.ts";
import type { AgentSession, SessionPart } from "./session.ts";

const AF_INET = 2;
const SOCK_STREAM = 1;

/** Unflushed bytes towards the agent above which a local connection is not read. */
const AGENT_BACKLOG_LIMIT = 4 << 20;

interface Forwarded {
  socket: Socket;
  client: ProtocolClient;
  sentFin: boolean;
  remoteFinished: boolean;
}

export class LocalForwarder implements SessionPart {
  private readonly servers: Server[] = [];
  private readonly forwarded = new Map<bigint, Forwarded>();
  private nextConnId = 1n;

  constructor(
    private readonly session: AgentSession,
    private readonly mappings: readonly ForwardMapping[],
    private readonly warn: (message: string) => void,
    private readonly timeoutMs: number,
  ) {}

  /** Binds every listener (once, on the first connection); rejects naming the port that could not be bound. */
  async attach(): Promise<void> {
    if (this.servers.length > 0) return;
    for (const mapping of this.mappings) {
      const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) =>
        this.accept(socket, mapping),
      );
      this.servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", (error: NodeJS.ErrnoException) =>
          reject(
            new Error(`cannot listen on 127.0.0.1:${mapping.localPort}: ${error.code ?? error.message}`),
          ),
        );
        server.listen({ host: "127.0.0.1", port: mapping.localPort }, () => resolve());
      });
    }
  }

  detach(): void {
    for (const { socket } of this.forwarded.values()) socket.destroy();
    this.forwarded.clear();
  }

  close(): void {
    for (const server of this.servers) server.close();
    this.detach();
  }

  receive(frame: Frame): boolean {
    const { message } = frame;
    if (message.type !== "OutgoingData" && message.type !== "OutgoingClose") return false;
    this.fromAgent(message);
    return true;
  }

  private fromAgent(message: Extract<Frame["message"], { type: "OutgoingData" | "OutgoingClose" }>): void {
    const entry = this.forwarded.get(message.connId);
    if (!entry) return;
    if (message.type === "OutgoingData") {
      // A slow local reader holds the agent link until it catches up: memory stays bounded.
      writePaced(entry.socket, entry.client, message.data);
      return;
    }
    entry.remoteFinished = true;
    if (entry.sentFin) entry.socket.destroy();
    else entry.socket.end();
  }

  private async accept(socket: Socket, mapping: ForwardMapping): Promise<void> {
    socket.on("error", () => socket.destroy());
    const where = `${mapping.remoteHost}:${mapping.remotePort}`;
    try {
      const client = await this.session.current();
      const address = await this.resolve(client, mapping);
      const connId = this.nextConnId++;
      const entry: Forwarded = { socket, client, sentFin: false, remoteFinished: false };
      // Registered before Connect: the agent's first bytes may follow its reply at once.
      this.forwarded.set(connId, entry);
      socket.on("close", () => this.localClosed(client, connId, entry));
      const reply = await client.request(
        { type: "Connect", connId, transport: "tcp", address },
        this.timeoutMs,
      );
      if (reply.type !== "Connected")
        throw new Error(reply.type === "ErrorReply" ? reply.error.message : `unexpected ${reply.type}`);
      socket.on("data", (data: Buffer) => {
        client.notify({ type: "OutgoingData", connId, data });
        if (client.backlog() > AGENT_BACKLOG_LIMIT && !socket.isPaused()) {
          socket.pause();
          client.whenDrained(() => socket.resume());
        }
      });
      socket.on("end", () => {
        entry.sentFin = true;
        client.notify({ type: "OutgoingClose", connId });
        if (entry.remoteFinished) socket.destroy();
      });
      socket.resume();
    } catch (error) {
      this.warn(`127.0.0.1:${mapping.localPort} → ${where}: ${(error as Error).message}`);
      socket.destroy();
    }
  }

  /** The local side is gone: tell the agent (a FIN if not sent yet, then "gone") and forget it. */
  private localClosed(client: ProtocolClient, connId: bigint, entry: Forwarded): void {
    if (this.forwarded.get(connId) !== entry) return;
    this.forwarded.delete(connId);
    if (!entry.sentFin) client.notify({ type: "OutgoingClose", connId });
    if (!entry.remoteFinished) client.notify({ type: "OutgoingClose", connId });
  }

  /** An IP literal as is; a name through the agent's DNS, first IPv4 answer preferred (as mirrord). */
  private async resolve(client: ProtocolClient, mapping: ForwardMapping): Promise<SocketAddress> {
    const { remoteHost: host, remotePort: port } = mapping;
    if (isIP(host)) return socketAddressFromIp(host, port);
    const reply = await client.request(
      {
        type: "GetAddrInfo",
        node: host,
        service: "",
        family: 0,
        socktype: SOCK_STREAM,
        protocol: 0,
        flags: 0,
      },
      this.timeoutMs,
    );
    if (reply.type !== "AddrInfo" || reply.entries.length === 0)
      throw new Error(
        `cannot resolve \`${host}\` in the target: ${reply.type === "ErrorReply" ? reply.error.message : "no addresses"}`,
      );
    const entry = reply.entries.find((e) => e.family === AF_INET) ?? (reply.entries[0] as AddrInfoEntry);
    return socketAddressFromIp(ipAddressToText(entry.address), port);
  }
}
