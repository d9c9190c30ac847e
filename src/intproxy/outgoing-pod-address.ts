/**
 * The pod-side local address of one outgoing connection, known once the agent connected. A
 * background connect answers the layer before that, so a getsockname may ask while it is still
 * unknown: it waits, bounded, for the agent's answer.
 */
import type { SocketAddress } from "../protocol/index.ts";

export class PodAddress {
  /** undefined = the agent has not answered yet; null = the connection failed. */
  private known: SocketAddress | null | undefined;
  private readonly waiters = new Set<(address: SocketAddress | null) => void>();

  /** The agent answered: its local address, or null when the connect failed. Later calls are ignored. */
  settle(address: SocketAddress | null): void {
    if (this.known !== undefined) return;
    this.known = address;
    for (const wake of this.waiters) wake(address);
    this.waiters.clear();
  }

  /** The address, waiting at most `timeoutMs` for the agent; null when it failed or is still unknown. */
  get(timeoutMs: number): Promise<SocketAddress | null> {
    if (this.known !== undefined) return Promise.resolve(this.known);
    return new Promise((resolve) => {
      const wake = (address: SocketAddress | null) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(address);
      };
      const timer = setTimeout(() => wake(null), timeoutMs);
      this.waiters.add(wake);
    });
  }
}

/**
 * The pod addresses of live background connections, and of the last `retiredKept` finished ones: the
 * program's fd outlives the TCP connection, so a getsockname may come after both ends closed.
 */
export class PodAddressBook {
  private readonly live = new Map<bigint, PodAddress>();
  private readonly retired = new Map<bigint, PodAddress>();

  constructor(private readonly retiredKept = 256) {}

  add(connId: bigint, address: PodAddress): void {
    this.live.set(connId, address);
  }

  /** The connection ended; its address stays findable until `retiredKept` newer ones ended. */
  retire(connId: bigint): void {
    const address = this.live.get(connId);
    if (!address) return;
    this.live.delete(connId);
    this.retired.set(connId, address);
    for (const oldest of this.retired.keys()) {
      if (this.retired.size <= this.retiredKept) break;
      this.retired.delete(oldest);
    }
  }

  find(connId: bigint): PodAddress | undefined {
    return this.live.get(connId) ?? this.retired.get(connId);
  }
}
