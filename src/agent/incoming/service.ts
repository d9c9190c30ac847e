/**
 * The agent's incoming traffic: which client subscribed which port in which mode, the taps that
 * capture those ports (created on first use, one per mode per agent), and the relays of the
 * connections in flight. Steal: one owner per port, a new subscriber replaces the previous one (as
 * mirrord does). Mirror: every subscriber of the port gets its own copy.
 */
import type { HttpFilter } from "../../protocol/index.ts";
import type { AgentClient } from "../features/handler.ts";
import type { HttpClientMessage } from "./http/exchange.ts";
import { detectionTimeoutFrom, FilteredSteal } from "./http/filtered-steal.ts";
import { branchCopy } from "./mirror/branches.ts";
import { MirrorTap } from "./mirror/mirror-tap.ts";
import { ConnectionRelay } from "./relay.ts";
import { skippingKubeProbes } from "./steal/probes.ts";
import { StealTap } from "./steal/steal-tap.ts";
import type { StolenConnection } from "./steal/stolen-connection.ts";
import type { PortTap, TappedConnection } from "./tap.ts";

export type IncomingMode = "mirror" | "steal";

export interface IncomingSettings {
  nftables: boolean;
  flushConnections: boolean;
  /** `agent.http_detection_timeout` in ms, for ports with HTTP filters. */
  httpDetectionTimeoutMs: number;
}

/** `MIRRORD_AGENT_NFTABLES` and `MIRRORD_AGENT_STEALER_FLUSH_CONNECTIONS`, as the CLI sets them. */
export function incomingSettingsFrom(env: NodeJS.ProcessEnv): IncomingSettings {
  return {
    nftables: env.MIRRORD_AGENT_NFTABLES?.toLowerCase() === "true",
    flushConnections: env.MIRRORD_AGENT_STEALER_FLUSH_CONNECTIONS?.toLowerCase() !== "false",
    httpDetectionTimeoutMs: detectionTimeoutFrom(env),
  };
}

export class IncomingService {
  private readonly stealOwners = new Map<number, AgentClient>();
  private readonly mirrorSubscribers = new Map<number, Set<AgentClient>>();
  private readonly relays = new Map<bigint, ConnectionRelay>();
  private readonly watchedClients = new WeakSet<AgentClient>();
  private readonly taps = new Map<IncomingMode, Promise<PortTap>>();
  private nextConnId = 1n;
  /** Steal subscriptions with an HTTP filter; a port has either these or one unfiltered owner. */
  private filtered: FilteredSteal | undefined;

  constructor(private readonly settings: IncomingSettings) {}

  async subscribe(client: AgentClient, port: number, mode: IncomingMode, filter?: HttpFilter): Promise<void> {
    this.watch(client);
    const tap = await this.tap(mode, client);
    if (mode === "steal" && filter) {
      await this.subscribeFiltered(client, port, filter, tap);
    } else if (mode === "steal") {
      this.filtered?.clear(port);
      const previous = this.stealOwners.get(port);
      this.stealOwners.set(port, client);
      if (previous && previous !== client)
        client.log.info("port steal taken over by another client", {
          port,
          from: previous.id,
          to: client.id,
        });
      try {
        await tap.start(
          port,
          skippingKubeProbes((connection) => this.deliverStolen(port, connection as StolenConnection)),
        );
      } catch (error) {
        if (this.stealOwners.get(port) === client) this.stealOwners.delete(port);
        throw error;
      }
    } else {
      const subscribers = this.mirrorSubscribers.get(port) ?? new Set();
      subscribers.add(client);
      this.mirrorSubscribers.set(port, subscribers);
      await tap.start(port, (connection) => this.deliverMirrored(port, connection));
    }
    client.log.info("port subscribed", { client: client.id, port, mode });
  }

  async unsubscribe(client: AgentClient, port: number): Promise<void> {
    const hadFiltered = this.filtered?.unsubscribe(client, port) ?? false;
    if (hadFiltered && !this.filtered?.has(port) && !this.stealOwners.has(port))
      await (await this.taps.get("steal"))?.stop(port);
    if (this.stealOwners.get(port) === client) {
      this.stealOwners.delete(port);
      await (await this.taps.get("steal"))?.stop(port);
    }
    const mirrors = this.mirrorSubscribers.get(port);
    if (mirrors?.delete(client) && mirrors.size === 0) {
      this.mirrorSubscribers.delete(port);
      await (await this.taps.get("mirror"))?.stop(port);
    }
  }

  /** `IncomingData` / `IncomingClose` / `IncomingUnreachable` from `client` for one of its connections. */
  fromClient(
    client: AgentClient,
    connId: bigint,
    event: { data: Uint8Array } | "close" | "unreachable",
  ): void {
    const relay = this.relays.get(connId);
    if (!relay || relay.subscriber !== client) return; // already finished, or not this client's
    if (event === "close") relay.subscriberClosed();
    else if (event === "unreachable") relay.undeliverable();
    else relay.fromSubscriber(event.data);
  }

  /** `HttpResponse*` / `HttpUpgradeData` / `HttpAbort` from `client` about a request it stole. */
  httpFromClient(client: AgentClient, message: HttpClientMessage): void {
    this.filtered?.fromClient(client, message);
  }

  /** Stops every tap (removes the steal redirects). */
  async close(): Promise<void> {
    for (const tap of this.taps.values()) await (await tap.catch(() => null))?.close();
    this.taps.clear();
  }

  private tap(mode: IncomingMode, client: AgentClient): Promise<PortTap> {
    let tap = this.taps.get(mode);
    if (!tap) {
      tap =
        mode === "steal"
          ? StealTap.create({ log: client.log, ...this.settings })
          : MirrorTap.create({ log: client.log });
      this.taps.set(mode, tap);
      // A tap that failed to start is tried again by the next subscription.
      tap.catch(() => this.taps.delete(mode));
    }
    return tap;
  }

  /** Filtered and unfiltered steal replace each other on a port, as in mirrord. */
  private async subscribeFiltered(client: AgentClient, port: number, filter: HttpFilter, tap: PortTap) {
    this.filtered ??= new FilteredSteal({
      allocateConnId: () => this.nextConnId++,
      detectionTimeoutMs: this.settings.httpDetectionTimeoutMs,
      log: client.log,
    });
    await this.filtered.subscribe(client, port, filter);
    this.stealOwners.delete(port);
    try {
      await tap.start(port, (connection) => this.deliverStolen(port, connection as StolenConnection));
    } catch (error) {
      this.filtered.unsubscribe(client, port);
      throw error;
    }
  }

  private deliverStolen(port: number, connection: StolenConnection): void {
    if (this.filtered?.has(port)) {
      this.filtered.serve(connection);
      return;
    }
    const owner = this.stealOwners.get(port);
    if (!owner) {
      connection.passThrough();
      return;
    }
    this.relay(owner, connection, (replay) => connection.passThrough(replay));
  }

  private deliverMirrored(port: number, connection: TappedConnection): void {
    const subscribers = [...(this.mirrorSubscribers.get(port) ?? [])];
    if (subscribers.length === 0) connection.destroy();
    // Each subscriber reads its own branch of the copy, numbered by its own relay.
    const branches = branchCopy(connection, subscribers.length);
    for (const [index, subscriber] of subscribers.entries())
      this.relay(subscriber, branches[index] as TappedConnection, () => {});
  }

  private relay(
    client: AgentClient,
    connection: TappedConnection,
    fallback: (replay: readonly Uint8Array[]) => void,
  ): void {
    const connId = this.nextConnId++;
    const relay = new ConnectionRelay(connId, client, connection, fallback, (done) =>
      this.relays.delete(done.connId),
    );
    this.relays.set(connId, relay);
  }

  /** When a client goes: its ports are released and its connections fall back to the pod's app. */
  private watch(client: AgentClient): void {
    if (this.watchedClients.has(client)) return;
    this.watchedClients.add(client);
    client.onClose(() => {
      for (const relay of [...this.relays.values()]) if (relay.subscriber === client) relay.undeliverable();
      this.filtered?.clientGone(client);
      const ports = new Set([
        ...this.stealOwners.keys(),
        ...this.mirrorSubscribers.keys(),
        ...(this.filtered?.portsOf(client) ?? []),
      ]);
      for (const port of ports)
        this.unsubscribe(client, port).catch((error) =>
          client.log.warn("cannot release a port of a client that left", { port, error: String(error) }),
        );
    });
  }
}
