import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "../protocol/index.ts";
import { PendingRequests } from "./pending-requests.ts";

const hostname = (name: string): Message => ({ type: "Hostname", hostname: name });

describe("PendingRequests", () => {
  it("gives every open request its own non-zero id and settles each with its own reply", async () => {
    const pending = new PendingRequests();
    const first = pending.open();
    const second = pending.open();
    assert.notEqual(first.id, 0n);
    assert.notEqual(first.id, second.id);
    assert.equal(pending.settle(second.id, hostname("b")), true);
    assert.equal(pending.settle(first.id, hostname("a")), true);
    assert.deepEqual(await first.reply, hostname("a"));
    assert.deepEqual(await second.reply, hostname("b"));
    assert.equal(pending.size, 0);
  });

  it("reports a reply for an unknown or already settled id as unmatched", () => {
    const pending = new PendingRequests();
    const { id } = pending.open();
    assert.equal(pending.settle(id + 100n, hostname("x")), false);
    assert.equal(pending.settle(id, hostname("x")), true);
    assert.equal(pending.settle(id, hostname("x")), false);
  });

  it("rejects every waiting request when the link is lost", async () => {
    const pending = new PendingRequests();
    const a = pending.open();
    const b = pending.open();
    pending.rejectAll(new Error("agent connection lost"));
    await assert.rejects(a.reply, /agent connection lost/);
    await assert.rejects(b.reply, /agent connection lost/);
    assert.equal(pending.size, 0);
  });

  it("a request given up on no longer accepts its late reply", async () => {
    const pending = new PendingRequests();
    const { id, reply } = pending.open();
    pending.abandon(id, new Error("timed out"));
    await assert.rejects(reply, /timed out/);
    assert.equal(pending.settle(id, hostname("late")), false);
  });
});
