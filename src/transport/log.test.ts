import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Logger, parseLogLevel } from "./log.ts";

describe("parseLogLevel", () => {
  it("reads a plain level, in any case", () => {
    assert.equal(parseLogLevel("DEBUG"), "debug");
    assert.equal(parseLogLevel("warn"), "warn");
  });
  it("prefers a mirrord directive over the bare level in RUST_LOG syntax", () => {
    assert.equal(parseLogLevel("warn,mirrord=trace"), "trace");
    assert.equal(parseLogLevel("mirrord_agent=debug,error"), "debug");
    assert.equal(parseLogLevel("hyper=trace,info"), "info");
  });
  it("returns null when nothing names a level", () => {
    assert.equal(parseLogLevel(undefined), null);
    assert.equal(parseLogLevel("verbose"), null);
    assert.equal(parseLogLevel("hyper=trace"), null);
  });
});

describe("Logger", () => {
  const fixedNow = () => new Date("2026-01-02T03:04:05.000Z");
  it("drops lines above its level and writes the rest as text", () => {
    const lines: string[] = [];
    const log = new Logger({
      level: "info",
      json: false,
      target: "agent",
      write: (l) => lines.push(l),
      now: fixedNow,
    });
    log.debug("hidden");
    log.warn("client dropped", { client: 3 });
    assert.deepEqual(lines, ["2026-01-02T03:04:05.000Z  WARN agent: client dropped client=3\n"]);
  });
  it("writes one JSON object per line in JSON mode", () => {
    const lines: string[] = [];
    const log = new Logger({
      level: "trace",
      json: true,
      target: "intproxy",
      write: (l) => lines.push(l),
      now: fixedNow,
    });
    log.trace("frame", { type: "Ping" });
    assert.equal(lines.length, 1);
    assert.deepEqual(JSON.parse(lines[0] ?? ""), {
      timestamp: "2026-01-02T03:04:05.000Z",
      level: "TRACE",
      target: "intproxy",
      message: "frame",
      type: "Ping",
    });
  });
});
