/**
 * The steal service's view of HTTP filters: per port, the filtered subscriptions in subscription order
 * (one per client, a new one from the same client replaces its old one), compiled once with fancy-regex,
 * and the engine every stolen connection of such a port goes through.
 */
import { connect } from "node:net";
import { CompiledHttpFilter } from "../../../filters/http-filter.ts";
import { FancyRegexEngine } from "../../../filters/regex.ts";
import { loadFancyRegexWasm } from "../../../platform/index.ts";
import type { HttpFilter } from "../../../protocol/index.ts";
import type { Logger } from "../../../transport/log.ts";
import type { AgentClient } from "../../features/handler.ts";
import { socketAddressOf } from "../relay.ts";
import type { StolenConnection } from "../steal/stolen-connection.ts";
import { HttpStealEngine } from "./engine.ts";
import type { HttpClientMessage, HttpStealClient, HttpSubscription } from "./exchange.ts";

export interface FilteredStealOptions {
  /** Connection ids come from the service's one counter, shared with `NewConnection`. */
  allocateConnId(): bigint;
  /** `agent.http_detection_timeout` (`MIRRORD_AGENT_HTTP_DETECTION_TIMEOUT`, seconds). */
  detectionTimeoutMs: number;
  log: Logger;
}

interface Subscription extends HttpSubscription {
  readonly owner: AgentClient;
}

export class FilteredSteal {
  private readonly ports = new Map<number, Subscription[]>();
  private readonly clients = new WeakMap<AgentClient, HttpStealClient>();
  private readonly engine: HttpStealEngine;
  private regexEngine: Promise<FancyRegexEngine> | undefined;

  constructor(private readonly options: FilteredStealOptions) {
    this.engine = new HttpStealEngine({ detectionTimeoutMs: options.detectionTimeoutMs, log: options.log });
  }

  /** @throws for a filter that does not compile (bad regex, body/jq filters). */
  async subscribe(owner: AgentClient, port: number, filter: HttpFilter): Promise<void> {
    this.regexEngine ??= loadFancyRegexWasm().then((bytes) => FancyRegexEngine.fromBytes(bytes));
    const compiled = CompiledHttpFilter.compile(await this.regexEngine, filter);
    this.unsubscribe(owner, port);
    const list = this.ports.get(port) ?? [];
    list.push({ owner, client: this.clientOf(owner), filter: compiled });
    this.ports.set(port, list);
  }

  /** Removes `owner`'s subscription to `port`; true when it had one. */
  unsubscribe(owner: AgentClient, port: number): boolean {
    const list = this.ports.get(port) ?? [];
    const kept = list.filter((subscription) => subscription.owner !== owner);
    for (const gone of list) if (gone.owner === owner) gone.filter.free();
    if (kept.length > 0) this.ports.set(port, kept);
    else this.ports.delete(port);
    return kept.length !== list.length;
  }

  /** Drops every filtered subscription of `port` (an unfiltered steal took the port over). */
  clear(port: number): void {
    for (const subscription of this.ports.get(port) ?? []) subscription.filter.free();
    this.ports.delete(port);
  }

  has(port: number): boolean {
    return this.ports.has(port);
  }

  portsOf(owner: AgentClient): number[] {
    return [...this.ports].filter(([, list]) => list.some((s) => s.owner === owner)).map(([port]) => port);
  }

  serve(connection: StolenConnection): void {
    const port = connection.port;
    void this.engine.serve(
      {
        socket: connection.socket,
        port,
        remoteAddress: socketAddressOf(connection.remote),
        localAddress: socketAddressOf(connection.local),
        // Traffic the agent originates in the pod is never redirected (steal/README.md).
        connectOriginal: () => connect({ host: connection.local.address, port, noDelay: true }),
      },
      () => this.ports.get(port) ?? [],
    );
  }

  /** A client's answer about one of its stolen requests. */
  fromClient(owner: AgentClient, message: HttpClientMessage): void {
    this.engine.receive(this.clientOf(owner), message);
  }

  /** The client left: its requests in flight fail (its subscriptions go through `unsubscribe`). */
  clientGone(owner: AgentClient): void {
    this.engine.forget(this.clientOf(owner));
  }

  private clientOf(owner: AgentClient): HttpStealClient {
    let client = this.clients.get(owner);
    if (!client) {
      client = {
        allocateConnId: this.options.allocateConnId,
        send: (message) => owner.send(message),
        backlog: () => owner.backlog(),
        whenDrained: (callback) => owner.whenDrained(callback),
        holdInput: () => owner.holdInput(),
        releaseInput: () => owner.releaseInput(),
      };
      this.clients.set(owner, client);
    }
    return client;
  }
}

/** `MIRRORD_AGENT_HTTP_DETECTION_TIMEOUT` (seconds, default 2) in milliseconds. */
export function detectionTimeoutFrom(env: NodeJS.ProcessEnv): number {
  const seconds = Number(env.MIRRORD_AGENT_HTTP_DETECTION_TIMEOUT ?? 2);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 2000;
}
