/**
 * `-L` forwarding: a listener on 127.0.0.1 per mapping; each accepted connection becomes an outgoing
 * TCP connection the agent makes from the target's network namespace (`Connect`, then `OutgoingData`
 * both ways, `OutgoingClose` as a FIN each way). Names are resolved by the agent, per connection.
 *
 * When the agent connection drops while the agent lives (a port-forward stream cut by a proxy or an
 * API server restart), the connections in flight are closed, a new connection to the same agent is
 * dialled (bounded attempts with backoff) and the listeners carry on; connections that arrive meanwhile
 * wait for it. Only when the agent cannot be reached again does `onFatal` fire.
 */
import { createServer, isIP, type Server, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type AddrInfoEntry,
  type Frame,
  ipAddressToText,
  type SocketAddress,
  socketAddressFromIp,
} from "../protocol/index.ts";
import type { ProtocolClient } from "../transport/client.ts";
import type { ForwardMapping } from "./mappings.ts";

const AF_INET = 2;
const SOCK_STREAM = 1;
const RECONNECT_ATTEMPTS = 5;
const FIRST_BACKOFF_MS = 100;
/** mirrord pings the agent this often and gives up on a ping unanswered by the next one. */
const PING_INTERVAL_MS = 30_000;

export interface AgentConnection {
  client: ProtocolClient;
  reconnect(): Promise<ProtocolClient>;
}

export interface ForwarderEvents {
  info(message: string): void;
  warn(message: string): void;
  /** The agent is gone for good; the forwarder has stopped. */
  onFatal(error: Error): void;
}

interface Forwarded {
  socket: Socket;
  sentFin: boolean;
  remoteFinished: boolean;
}

export class LocalForwarder {
  private readonly servers: Server[] = [];
  private readonly forwarded = new Map<bigint, Forwarded>();
  private nextConnId = 1n;
  private ready: Promise<ProtocolClient>;
  private closing = false;
  private pinger: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly agent: AgentConnection,
    private readonly mappings: readonly ForwardMapping[],
    private readonly events: ForwarderEvents,
    private readonly timeoutMs: number,
  ) {
    this.ready = Promise.resolve(this.attach(agent.client));
  }

  /** Binds every listener; rejects naming the port that could not be bound. */
  async start(): Promise<void> {
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
    this.pinger = setInterval(() => void this.ping(), PING_INTERVAL_MS);
  }

  close(): void {
    this.closing = true;
    clearInterval(this.pinger);
    for (const server of this.servers) server.close();
    for (const { socket } of this.forwarded.values()) socket.destroy();
    this.forwarded.clear();
  }

  private attach(client: ProtocolClient): ProtocolClient {
    client.onUnsolicited((frame) => this.fromAgent(frame));
    client.onClose((reason) => this.lost(client, reason));
    return client;
  }

  private async ping(): Promise<void> {
    const client = await this.ready;
    try {
      await client.request({ type: "Ping" }, PING_INTERVAL_MS);
    } catch {
      client.close("the agent did not answer a ping");
    }
  }

  private lost(client: ProtocolClient, reason: string): void {
    if (this.closing || client !== this.agent.client) return;
    for (const { socket } of this.forwarded.values()) socket.destroy();
    this.forwarded.clear();
    this.events.warn(`the connection to the agent dropped (${reason}); reconnecting`);
    this.ready = this.redial(reason);
    this.ready.catch((error: Error) => {
      this.close();
      this.events.onFatal(error);
    });
  }

  private async redial(firstReason: string): Promise<ProtocolClient> {
    let lastError: unknown = firstReason;
    for (let attempt = 0; attempt < RECONNECT_ATTEMPTS && !this.closing; attempt++) {
      try {
        const client = this.attach(await this.agent.reconnect());
        this.events.info("reconnected to the agent");
        return client;
      } catch (error) {
        lastError = error;
        await sleep(FIRST_BACKOFF_MS * 2 ** attempt);
      }
    }
    throw new Error(
      `lost the connection to the agent and could not reconnect: ${(lastError as Error)?.message ?? lastError}`,
    );
  }

  private fromAgent({ message }: Frame): void {
    if (message.type !== "OutgoingData" && message.type !== "OutgoingClose") return;
    const entry = this.forwarded.get(message.connId);
    if (!entry) return;
    if (message.type === "OutgoingData") {
      entry.socket.write(message.data);
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
      const client = await this.ready;
      const address = await this.resolve(client, mapping);
      const connId = this.nextConnId++;
      const entry: Forwarded = { socket, sentFin: false, remoteFinished: false };
      // Registered before Connect: the agent's first bytes may follow its reply at once.
      this.forwarded.set(connId, entry);
      socket.on("close", () => this.localClosed(client, connId, entry));
      const reply = await client.request(
        { type: "Connect", connId, transport: "tcp", address },
        this.timeoutMs,
      );
      if (reply.type !== "Connected")
        throw new Error(reply.type === "ErrorReply" ? reply.error.message : `unexpected ${reply.type}`);
      socket.on("data", (data: Buffer) => client.notify({ type: "OutgoingData", connId, data }));
      socket.on("end", () => {
        entry.sentFin = true;
        client.notify({ type: "OutgoingClose", connId });
        if (entry.remoteFinished) socket.destroy();
      });
      socket.resume();
    } catch (error) {
      this.events.warn(`127.0.0.1:${mapping.localPort} → ${where}: ${(error as Error).message}`);
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
