/**
 * The agent connection of a `mirrord port-forward` run and its lifetime: agent messages go to the
 * parts (`-L` forwarding, `-R` subscriptions); the agent is pinged every 30 s; when the connection drops
 * while the agent lives (a port-forward stream cut by a proxy or an API server restart), the parts drop
 * what was in flight, a new connection to the same agent is dialled (bounded attempts with backoff) and
 * each part sets itself up on it again (`-R` re-subscribes). Only when the agent cannot be reached again
 * does `onFatal` fire.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Frame } from "../protocol/index.ts";
import type { ProtocolClient } from "../transport/client.ts";

const RECONNECT_ATTEMPTS = 5;
const FIRST_BACKOFF_MS = 100;
/** mirrord pings the agent this often and gives up on a ping unanswered by the next one. */
const PING_INTERVAL_MS = 30_000;

export interface AgentConnection {
  client: ProtocolClient;
  reconnect(): Promise<ProtocolClient>;
}

export interface SessionEvents {
  info(message: string): void;
  warn(message: string): void;
  /** The agent is gone for good; the session has stopped. */
  onFatal(error: Error): void;
}

/** What runs over the agent connection and must follow it across re-dials. */
export interface SessionPart {
  /** A new agent connection (the first or a re-dialled one): set up what lives in the agent session. */
  attach(client: ProtocolClient): Promise<void>;
  /** An agent message that answers no request; true when it was this part's. */
  receive(frame: Frame): boolean;
  /** The agent connection is gone: drop what was in flight over it. */
  detach(): void;
  close(): void;
}

export class AgentSession {
  private ready: Promise<ProtocolClient>;
  private parts: readonly SessionPart[] = [];
  private closing = false;
  private redialling = false;
  private pinger: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly agent: AgentConnection,
    private readonly events: SessionEvents,
  ) {
    this.ready = Promise.resolve(agent.client);
  }

  /** Sets every part up on the first connection; rejects if one cannot be. */
  async start(parts: readonly SessionPart[]): Promise<void> {
    this.parts = parts;
    await this.attach(this.agent.client);
    this.pinger = setInterval(() => void this.ping(), PING_INTERVAL_MS);
  }

  /** The agent connection, once there is one (waits while re-dialling). */
  current(): Promise<ProtocolClient> {
    return this.ready;
  }

  close(): void {
    this.closing = true;
    clearInterval(this.pinger);
    for (const part of this.parts) part.close();
  }

  private async attach(client: ProtocolClient): Promise<ProtocolClient> {
    client.onUnsolicited((frame) => {
      for (const part of this.parts) if (part.receive(frame)) return;
    });
    client.onClose((reason) => this.lost(client, reason));
    for (const part of this.parts) await part.attach(client);
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
    if (this.closing || this.redialling || client !== this.agent.client) return;
    for (const part of this.parts) part.detach();
    this.events.warn(`the connection to the agent dropped (${reason}); reconnecting`);
    this.ready = this.redial(reason);
    this.ready.catch((error: Error) => {
      this.close();
      this.events.onFatal(error);
    });
  }

  private async redial(firstReason: string): Promise<ProtocolClient> {
    this.redialling = true;
    let lastError: unknown = new Error(firstReason);
    try {
      for (let attempt = 0; attempt < RECONNECT_ATTEMPTS && !this.closing; attempt++) {
        let client: ProtocolClient | undefined;
        try {
          client = await this.agent.reconnect();
          await this.attach(client);
          this.events.info("reconnected to the agent");
          return client;
        } catch (error) {
          client?.close("setting up the session failed");
          lastError = error;
          await sleep(FIRST_BACKOFF_MS * 2 ** attempt);
        }
      }
    } finally {
      this.redialling = false;
    }
    throw new Error(
      `lost the connection to the agent and could not reconnect: ${(lastError as Error).message}`,
    );
  }
}
