/**
 * The mirror tap: a copy of each connection's client→server bytes, taken by sniffing (see `sniffer.ts`)
 * so the pod's own traffic path is never touched. Each copy is a `TappedConnection` whose `inbound`
 * carries the client's bytes and whose replies go nowhere.
 */
import { Readable } from "node:stream";
import { ipAddressToText } from "../../../protocol/index.ts";
import type { Logger } from "../../../transport/log.ts";
import type { ConnectionHandler, PortTap, Endpoint as TapEndpoint, TappedConnection } from "../tap.ts";
import { MAX_UNREAD_BYTES } from "./branches.ts";
import type { CloseReason, ConnectionSink, Endpoint } from "./connections.ts";
import { Sniffer } from "./sniffer.ts";
import { UnreadBudget } from "./unread-budget.ts";

export interface MirrorTapOptions {
  readonly log: Logger;
}

/** Unread bytes allowed per copy and for all copies together (what the agent may hold for slow readers). */
const UNREAD_LIMITS = { perCopy: MAX_UNREAD_BYTES, total: 3 * MAX_UNREAD_BYTES, checkEveryMs: 100 };

class Copy {
  constructor(
    readonly id: number,
    readonly port: number,
    readonly inbound: Readable,
  ) {}

  get unreadBytes(): number {
    return this.inbound.readableLength;
  }
}

function endpoint({ ip, port }: Endpoint): TapEndpoint {
  return {
    address: ipAddressToText(ip.length === 4 ? { kind: "v4", octets: ip } : { kind: "v6", octets: ip }),
    port,
  };
}

export class MirrorTap implements PortTap {
  private readonly handlers = new Map<number, ConnectionHandler>();
  private readonly copies = new Map<number, Copy>();
  private readonly sniffer: Sniffer;
  private readonly budget = new UnreadBudget<Copy>(UNREAD_LIMITS);

  private constructor(private readonly log: Logger) {
    const sink: ConnectionSink = {
      opened: (id, client, server) => this.opened(id, client, server),
      data: (id, bytes) => this.data(id, bytes),
      clientFinished: (id) => this.copies.get(id)?.inbound.push(null),
      closed: (id, reason) => this.closed(id, reason),
    };
    this.sniffer = Sniffer.open(sink, log);
  }

  /** Rejects when the packet socket cannot be opened (no CAP_NET_RAW). */
  static async create(options: MirrorTapOptions): Promise<MirrorTap> {
    try {
      return new MirrorTap(options.log);
    } catch (error) {
      throw new Error(`cannot start mirroring: ${(error as Error).message}`);
    }
  }

  async start(port: number, onConnection: ConnectionHandler): Promise<void> {
    const had = this.handlers.get(port);
    this.handlers.set(port, onConnection);
    try {
      this.refilter();
    } catch (error) {
      if (had) this.handlers.set(port, had);
      else this.handlers.delete(port);
      throw new Error(`cannot mirror port ${port}: ${(error as Error).message}`);
    }
  }

  async stop(port: number): Promise<void> {
    if (this.handlers.delete(port)) this.refilter();
  }

  async close(): Promise<void> {
    this.handlers.clear();
    this.sniffer.close();
  }

  /** Watched ports: the started ones, plus stopped ones whose copies are still going. */
  private refilter(): void {
    const ports = new Set(this.handlers.keys());
    for (const copy of this.copies.values()) ports.add(copy.port);
    this.sniffer.watch(ports);
  }

  private opened(id: number, client: Endpoint, server: Endpoint): void {
    const handler = this.handlers.get(server.port);
    if (!handler) return; // a port being stopped: only the copies already handed over go on
    const inbound = new Readable({ read() {} });
    const copy = new Copy(id, server.port, inbound);
    this.copies.set(id, copy);
    const connection: TappedConnection = {
      port: server.port,
      remote: endpoint(client),
      local: endpoint(server),
      inbound,
      reply: null,
      destroy: () => this.end(copy),
    };
    handler(connection);
  }

  private data(id: number, bytes: Uint8Array): void {
    const copy = this.copies.get(id);
    if (!copy) return;
    if (!this.budget.allows(copy)) {
      this.cutBehind(copy);
      return;
    }
    copy.inbound.push(bytes);
    for (const behind of this.budget.overTotal(this.copies.values(), Date.now())) this.cutBehind(behind);
  }

  private cutBehind(copy: Copy): void {
    this.log.warn("a mirrored connection's subscriber fell behind; its copy ends", {
      port: copy.port,
      unread: copy.unreadBytes,
    });
    this.end(copy);
  }

  private closed(id: number, reason: CloseReason): void {
    const copy = this.copies.get(id);
    if (!copy) return;
    if (reason !== "finished") this.log.debug("mirrored connection ended", { port: copy.port, reason });
    // A finished copy already ended its stream; it closes once read. Any other end cuts it short.
    this.end(copy, reason === "finished");
  }

  private end(copy: Copy, finished = false): void {
    if (this.copies.get(copy.id) !== copy) return;
    this.copies.delete(copy.id);
    if (!finished) copy.inbound.destroy();
    if (!this.handlers.has(copy.port) && ![...this.copies.values()].some((other) => other.port === copy.port))
      this.refilter();
  }
}
