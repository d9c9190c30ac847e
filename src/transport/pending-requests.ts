/**
 * Request ids on one link: each outgoing request gets a fresh non-zero id (0 means "no reply expected"),
 * and the reply carrying that id settles exactly the request that used it. This is how the intproxy
 * remaps the ids of many layer connections onto its single agent connection.
 */
import type { Message } from "../protocol/index.ts";

interface Waiter {
  resolve(reply: Message): void;
  reject(error: Error): void;
}

const MAX_ID = 2n ** 64n - 1n;

export class PendingRequests {
  private nextId = 1n;
  private readonly waiters = new Map<bigint, Waiter>();

  get size(): number {
    return this.waiters.size;
  }

  /** Reserves an id and returns it with the promise its reply will settle. */
  open(): { id: bigint; reply: Promise<Message> } {
    const id = this.allocate();
    const reply = new Promise<Message>((resolve, reject) => this.waiters.set(id, { resolve, reject }));
    return { id, reply };
  }

  /** Settles the request `id` with `reply`; false when no request is waiting on that id. */
  settle(id: bigint, reply: Message): boolean {
    const waiter = this.waiters.get(id);
    if (!waiter) return false;
    this.waiters.delete(id);
    waiter.resolve(reply);
    return true;
  }

  /** Gives up on one request (e.g. its caller timed out); a late reply is then unmatched. */
  abandon(id: bigint, error: Error): void {
    const waiter = this.waiters.get(id);
    this.waiters.delete(id);
    waiter?.reject(error);
  }

  rejectAll(error: Error): void {
    const waiters = [...this.waiters.values()];
    this.waiters.clear();
    for (const waiter of waiters) waiter.reject(error);
  }

  private allocate(): bigint {
    // Ids wrap after 2^64 - 1; skipping ids still in flight keeps every live id unique.
    for (let tries = 0; tries <= this.waiters.size; tries++) {
      const id = this.nextId;
      this.nextId = id === MAX_ID ? 1n : id + 1n;
      if (!this.waiters.has(id)) return id;
    }
    throw new Error("no free request id");
  }
}
