import { describe, expect, test } from "bun:test";
import { UnreadBudget } from "./unread-budget.ts";

const copy = (name: string, unreadBytes: number) => ({ name, unreadBytes });

describe("UnreadBudget", () => {
  const limits = { perCopy: 100, total: 250, checkEveryMs: 50 };

  test("a copy may take bytes while its own unread bytes are within its share", () => {
    const budget = new UnreadBudget<ReturnType<typeof copy>>(limits);
    expect(budget.allows(copy("a", 100))).toBe(true);
    expect(budget.allows(copy("a", 101))).toBe(false);
  });

  test("over the total, the largest copies are cut until the rest fit", () => {
    const budget = new UnreadBudget<ReturnType<typeof copy>>(limits);
    const copies = [copy("a", 90), copy("b", 100), copy("c", 80), copy("d", 40)];
    expect(budget.overTotal(copies, 0).map((c) => c.name)).toEqual(["b"]);
    expect(budget.overTotal([copy("a", 10)], 100)).toEqual([]);
  });

  test("the total is summed at most once per interval", () => {
    const budget = new UnreadBudget<ReturnType<typeof copy>>(limits);
    const heavy = [copy("a", 200), copy("b", 200)];
    expect(budget.overTotal(heavy, 1000)).toHaveLength(1);
    expect(budget.overTotal(heavy, 1020)).toEqual([]);
    expect(budget.overTotal(heavy, 1050)).toHaveLength(1);
  });
});
