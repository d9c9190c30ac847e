import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IdleTimer } from "./idle-timer.ts";

/** A manual clock: timers fire only when `advance` passes their deadline. */
function fakeClock() {
  let now = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();
  let nextHandle = 1;
  return {
    setTimer: (callback: () => void, ms: number) => {
      const handle = nextHandle++;
      timers.set(handle, { at: now + ms, callback });
      return handle;
    },
    clearTimer: (handle: unknown) => void timers.delete(handle as number),
    advance(ms: number) {
      now += ms;
      for (const [handle, timer] of [...timers]) {
        if (timer.at <= now) {
          timers.delete(handle);
          timer.callback();
        }
      }
    },
  };
}

describe("IdleTimer", () => {
  it("expires with cause start when no peer ever arrives", () => {
    const clock = fakeClock();
    const fired: string[] = [];
    new IdleTimer({ startMs: 60_000, idleMs: 5_000, onExpire: (c) => fired.push(c), ...clock });
    clock.advance(59_999);
    assert.deepEqual(fired, []);
    clock.advance(1);
    assert.deepEqual(fired, ["start"]);
  });

  it("never expires while a peer is connected, and expires idleMs after the last one leaves", () => {
    const clock = fakeClock();
    const fired: string[] = [];
    const timer = new IdleTimer({ startMs: 1_000, idleMs: 5_000, onExpire: (c) => fired.push(c), ...clock });
    timer.peerArrived();
    timer.peerArrived();
    clock.advance(10_000);
    timer.peerLeft();
    clock.advance(10_000);
    assert.deepEqual(fired, []);
    timer.peerLeft();
    clock.advance(4_999);
    assert.deepEqual(fired, []);
    clock.advance(1);
    assert.deepEqual(fired, ["idle"]);
  });

  it("a peer arriving during the idle wait cancels it", () => {
    const clock = fakeClock();
    const fired: string[] = [];
    const timer = new IdleTimer({ startMs: 1_000, idleMs: 5_000, onExpire: (c) => fired.push(c), ...clock });
    timer.peerArrived();
    timer.peerLeft();
    clock.advance(3_000);
    timer.peerArrived();
    clock.advance(10_000);
    assert.deepEqual(fired, []);
    assert.equal(timer.connected, 1);
  });

  it("ignores a departure it never saw arrive", () => {
    const clock = fakeClock();
    const fired: string[] = [];
    const timer = new IdleTimer({ startMs: 1_000, idleMs: 5_000, onExpire: (c) => fired.push(c), ...clock });
    timer.peerLeft();
    assert.equal(timer.connected, 0);
    clock.advance(1_000);
    assert.deepEqual(fired, ["start"]);
  });
});
