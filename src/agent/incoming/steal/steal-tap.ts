/**
 * The steal tap: one listener in the pod's network namespace (`[::]`, dual-stack, so one port serves
 * both families' redirects) receives every redirected connection, learns where it was going
 * (SO_ORIGINAL_DST / IP6T_SO_ORIGINAL_DST) and hands it to the handler of that port. A connection
 * for a port nobody handles any more (the redirect was just removed, the kernel had already NATed it)
 * is passed through to the pod's app, so stopping a steal never refuses or resets a client.
 */
import { createServer, type Server, type Socket } from "node:net";
import { originalDestination } from "../../../platform/index.ts";
import type { Logger } from "../../../transport/log.ts";
import type { ConnectionHandler, Endpoint, PortTap } from "../tap.ts";
import { type IpFamily, ownGroup, usableFamilies } from "./families.ts";
import { flushEstablished } from "./flush.ts";
import { type Redirector, startRedirector } from "./redirector.ts";
import { StolenConnection } from "./stolen-connection.ts";

export interface StealTapOptions {
  log: Logger;
  /** `agent.nftables`. */
  nftables: boolean;
  /** `agent.flush_connections`. */
  flushConnections: boolean;
}

function plainAddress(address: string | undefined): string {
  return (address ?? "").replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
}

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port: 0, backlog: 4096 }, () => {
      server.off("error", reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** Listens on `[::]` when the pod has IPv6 (v4 clients arrive IPv4-mapped), else on `0.0.0.0`. */
async function listenForFamilies(
  server: Server,
  families: readonly IpFamily[],
  log: Logger,
): Promise<{ port: number; families: readonly IpFamily[] }> {
  if (families.includes("IPv6")) {
    try {
      return { port: await listen(server, "::"), families };
    } catch (error) {
      log.warn("cannot listen on IPv6, stealing IPv4 only", { error: (error as Error).message });
    }
  }
  return { port: await listen(server, "0.0.0.0"), families: ["IPv4"] };
}

export class StealTap implements PortTap {
  private readonly handlers = new Map<number, ConnectionHandler>();
  /** Serialises rule changes so a quick start/stop/start of a port applies in order. */
  private changes: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly server: Server,
    private readonly redirector: Redirector,
    private readonly families: readonly IpFamily[],
    private readonly options: StealTapOptions,
  ) {}

  static async create(options: StealTapOptions): Promise<StealTap> {
    let tap: StealTap | undefined;
    // Half-open: a client that finished sending still gets the rest of its answer.
    const server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => tap?.accept(socket));
    const { port: listenerPort, families } = await listenForFamilies(server, usableFamilies(), options.log);
    try {
      const redirector = await startRedirector({
        nftables: options.nftables,
        families,
        listenerPort,
        agentGid: ownGroup(),
        log: options.log,
      });
      tap = new StealTap(server, redirector, families, options);
      return tap;
    } catch (error) {
      server.close();
      throw error;
    }
  }

  start(port: number, onConnection: ConnectionHandler): Promise<void> {
    const isNew = !this.handlers.has(port);
    this.handlers.set(port, onConnection);
    if (!isNew) return this.changes.then(() => {});
    return this.change(async () => {
      await this.redirector.add(port);
      if (this.options.flushConnections) await flushEstablished(port, this.families, this.options.log);
    }).catch((error) => {
      if (this.handlers.get(port) === onConnection) this.handlers.delete(port);
      throw new Error(`cannot steal port ${port}: ${(error as Error).message}`);
    });
  }

  stop(port: number): Promise<void> {
    if (!this.handlers.delete(port)) return this.changes.then(() => {});
    return this.change(() => this.redirector.remove(port));
  }

  async close(): Promise<void> {
    this.handlers.clear();
    await this.change(() => this.redirector.close());
    this.server.close();
  }

  private change(apply: () => Promise<void>): Promise<void> {
    const run = this.changes.then(apply);
    this.changes = run.catch(() => {});
    return run;
  }

  private accept(socket: Socket): void {
    socket.on("error", () => {});
    let destination: Endpoint;
    try {
      destination = originalDestination(socket);
    } catch (error) {
      this.options.log.warn("dropping a redirected connection with no original destination", {
        peer: `${socket.remoteAddress}:${socket.remotePort}`,
        error: (error as Error).message,
      });
      socket.resetAndDestroy();
      return;
    }
    const remote = { address: plainAddress(socket.remoteAddress), port: socket.remotePort ?? 0 };
    const connection = new StolenConnection(socket, remote, destination);
    const handler = this.handlers.get(destination.port);
    if (handler) handler(connection);
    else connection.passThrough();
  }
}
