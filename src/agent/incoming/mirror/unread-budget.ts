/**
 * Bounds the agent's memory for copies nobody reads fast enough: each copy may hold `perCopy` unread
 * bytes, and all copies together `total`. Mirroring never slows the pod, so a copy over budget is cut
 * (the largest first), never waited for.
 */

export interface Unread {
  readonly unreadBytes: number;
}

export interface UnreadLimits {
  readonly perCopy: number;
  readonly total: number;
  /** How often the total is summed (it costs one pass over every copy). */
  readonly checkEveryMs: number;
}

export class UnreadBudget<T extends Unread> {
  private lastTotalCheck = Number.NEGATIVE_INFINITY;

  constructor(private readonly limits: UnreadLimits) {}

  /** Whether `copy` may take more bytes. */
  allows(copy: T): boolean {
    return copy.unreadBytes <= this.limits.perCopy;
  }

  /** The copies to cut, largest first, so the rest fit the total; none when checked too recently. */
  overTotal(copies: Iterable<T>, nowMs: number): T[] {
    if (nowMs - this.lastTotalCheck < this.limits.checkEveryMs) return [];
    this.lastTotalCheck = nowMs;
    const all = [...copies];
    let total = all.reduce((sum, copy) => sum + copy.unreadBytes, 0);
    if (total <= this.limits.total) return [];
    const cut: T[] = [];
    for (const copy of all.sort((a, b) => b.unreadBytes - a.unreadBytes)) {
      if (total <= this.limits.total) break;
      cut.push(copy);
      total -= copy.unreadBytes;
    }
    return cut;
  }
}
