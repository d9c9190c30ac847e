import { describe, expect, test } from "bun:test";
import { Readable } from "node:stream";
import type { TappedConnection } from "../tap.ts";
import { branchCopy, MAX_UNREAD_BYTES } from "./branches.ts";

function source() {
  const inbound = new Readable({ read() {} });
  let destroyed = false;
  const connection: TappedConnection = {
    port: 80,
    remote: { address: "10.0.0.1", port: 40000 },
    local: { address: "10.0.0.2", port: 80 },
    inbound,
    reply: null,
    destroy: () => {
      destroyed = true;
      inbound.destroy();
    },
  };
  return { connection, inbound, destroyed: () => destroyed };
}

/** Everything a branch yields, and how it ended. */
function collect(branch: TappedConnection) {
  const seen = { text: "", ended: false, closed: false };
  branch.inbound.on("data", (chunk: Buffer) => {
    seen.text += chunk.toString();
  });
  branch.inbound.on("end", () => {
    seen.ended = true;
  });
  branch.inbound.on("close", () => {
    seen.closed = true;
  });
  return seen;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("branchCopy", () => {
  test("a single subscriber reads the copy itself", () => {
    const { connection } = source();
    expect(branchCopy(connection, 1)).toEqual([connection]);
  });

  test("every branch gets every byte and the end, with the connection's addresses", async () => {
    const { connection, inbound } = source();
    const branches = branchCopy(connection, 3);
    expect(branches.map((branch) => [branch.port, branch.remote, branch.local])).toEqual(
      Array(3).fill([80, connection.remote, connection.local]),
    );
    const seen = branches.map(collect);
    inbound.push(Buffer.from("GET / "));
    inbound.push(Buffer.from("HTTP/1.1"));
    inbound.push(null);
    await settle();
    expect(seen).toEqual(Array(3).fill({ text: "GET / HTTP/1.1", ended: true, closed: true }));
  });

  test("one branch hanging up leaves the others whole; the copy stops when all have", async () => {
    const { connection, inbound, destroyed } = source();
    const [a, b] = branchCopy(connection, 2) as [TappedConnection, TappedConnection];
    const seenB = collect(b);
    collect(a);
    inbound.push(Buffer.from("one "));
    await settle();
    a.destroy();
    inbound.push(Buffer.from("two"));
    inbound.push(null);
    await settle();
    expect(seenB).toMatchObject({ text: "one two", ended: true });
    expect(destroyed()).toBe(false);

    const second = source();
    const branches = branchCopy(second.connection, 2);
    for (const branch of branches) branch.destroy();
    expect(second.destroyed()).toBe(true);
  });

  test("a copy cut short cuts every branch without an end", async () => {
    const { connection, inbound } = source();
    const seen = branchCopy(connection, 2).map(collect);
    inbound.push(Buffer.from("partial"));
    await settle();
    inbound.destroy();
    await settle();
    expect(seen).toEqual(Array(2).fill({ text: "partial", ended: false, closed: true }));
  });

  test("a branch nobody reads is cut once it holds too much, the others go on", async () => {
    const { connection, inbound } = source();
    const [slow, fast] = branchCopy(connection, 2) as [TappedConnection, TappedConnection];
    slow.inbound.pause();
    let fastBytes = 0;
    fast.inbound.on("data", (chunk: Buffer) => {
      fastBytes += chunk.length;
    });
    const chunk = Buffer.alloc(1024 * 1024);
    inbound.push(chunk);
    await settle(); // both branches are flowing (or paused) by now, as in a live relay
    for (let i = 1; i < MAX_UNREAD_BYTES / chunk.length + 2; i++) inbound.push(chunk);
    await settle();
    expect(slow.inbound.destroyed).toBe(true);
    expect(fast.inbound.destroyed).toBe(false);
    expect(fastBytes).toBe(chunk.length * (MAX_UNREAD_BYTES / chunk.length + 2));
  });
});
