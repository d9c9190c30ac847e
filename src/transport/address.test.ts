import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseHexSecret, parseHostPort } from "./address.ts";

describe("parseHostPort", () => {
  it("reads IPv4, names and bracketed IPv6", () => {
    assert.deepEqual(parseHostPort("127.0.0.1:61337", "X"), { host: "127.0.0.1", port: 61337 });
    assert.deepEqual(parseHostPort("agent.local:80", "X"), { host: "agent.local", port: 80 });
    assert.deepEqual(parseHostPort("[::1]:9", "X"), { host: "::1", port: 9 });
  });
  it("rejects what is not host:port, naming the source", () => {
    for (const bad of ["", "127.0.0.1", ":80", "h:0", "h:65536", "::1:80", "h:8x"])
      assert.throws(
        () => parseHostPort(bad, "MIRRORD_AGENT_ADDR"),
        /^Error: MIRRORD_AGENT_ADDR: expected host:port/,
      );
  });
});

describe("parseHexSecret", () => {
  it("decodes hex in either case", () => {
    assert.deepEqual([...parseHexSecret("00ffA0", "S")], [0, 255, 160]);
  });
  it("rejects odd length, empty and non-hex text without echoing it", () => {
    for (const bad of ["", "abc", "zz", "0x00"])
      assert.throws(
        () => parseHexSecret(bad, "MIRRORD_AGENT_SECRET"),
        /MIRRORD_AGENT_SECRET: expected an even number/,
      );
  });
});
