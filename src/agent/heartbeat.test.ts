import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { heartbeatAction } from "./heartbeat.ts";

describe("heartbeatAction", () => {
  const timeout = 2_000;
  it("waits while the client has been heard from within the timeout", () => {
    assert.equal(
      heartbeatAction({ handshaken: true, lastHeardMs: 1_000, pingSentMs: null }, 2_999, timeout),
      "wait",
    );
  });
  it("pings a client silent for the whole timeout", () => {
    assert.equal(
      heartbeatAction({ handshaken: true, lastHeardMs: 1_000, pingSentMs: null }, 3_000, timeout),
      "ping",
    );
  });
  it("waits for the answer to an outstanding ping, then drops the client", () => {
    const pinged = { handshaken: true, lastHeardMs: 1_000, pingSentMs: 3_000 };
    assert.equal(heartbeatAction(pinged, 4_999, timeout), "wait");
    assert.equal(heartbeatAction(pinged, 5_000, timeout), "drop");
  });
  it("drops a client that never finished the handshake, without pinging it", () => {
    assert.equal(
      heartbeatAction({ handshaken: false, lastHeardMs: 0, pingSentMs: null }, 1_999, timeout),
      "wait",
    );
    assert.equal(
      heartbeatAction({ handshaken: false, lastHeardMs: 0, pingSentMs: null }, 2_000, timeout),
      "drop",
    );
  });
});
