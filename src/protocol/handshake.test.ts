import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PROTOCOL_VERSION } from "./catalogue.ts";
import {
  answerHello,
  checkHelloReply,
  HandshakeError,
  helloMessage,
  parseVersion,
  versionMismatch,
} from "./handshake.ts";
import type { Message } from "./types.gen.ts";

const secret = Uint8Array.from([1, 2, 3, 4]);

describe("versionMismatch", () => {
  it("accepts the same version and an older client minor", () => {
    assert.equal(versionMismatch("1.0.0", "1.0.0"), null);
    assert.equal(versionMismatch("1.2.9", "1.3.0"), null);
    assert.equal(versionMismatch("1.3.0", "1.3.7"), null);
  });

  it("rejects a different major, naming both versions", () => {
    const why = versionMismatch("2.0.0", "1.9.0");
    assert.match(why ?? "", /2\.0\.0.*1\.9\.0/);
  });

  it("rejects a client newer (minor) than the server", () => {
    assert.match(
      versionMismatch("1.4.0", "1.3.0") ?? "",
      /client protocol 1\.4\.0 is newer than server protocol 1\.3\.0/,
    );
  });

  it("rejects versions that are not MAJOR.MINOR.PATCH", () => {
    assert.match(versionMismatch("1.0", "1.0.0") ?? "", /"1\.0" is not MAJOR\.MINOR\.PATCH/);
    assert.equal(parseVersion("01.2.3x"), null);
    assert.deepEqual(parseVersion("10.20.30"), { major: 10, minor: 20, patch: 30 });
  });
});

describe("answerHello", () => {
  const server = { serverVersion: "mirrord-ts 0.1.0", secret };

  it("accepts a client with the right secret and reports the server version", () => {
    const reply = answerHello(helloMessage("intproxy", "intproxy", secret), server);
    assert.deepEqual(reply, {
      type: "HelloOk",
      protocolVersion: PROTOCOL_VERSION,
      serverVersion: "mirrord-ts 0.1.0",
    });
    assert.equal(checkHelloReply(reply), "mirrord-ts 0.1.0");
  });

  it("rejects a missing or wrong secret when the server has one", () => {
    for (const presented of [null, Uint8Array.from([1, 2, 3]), Uint8Array.from([1, 2, 3, 5])]) {
      const reply = answerHello(helloMessage("intproxy", "x", presented), server);
      assert.equal(reply.type === "HelloRejected" && reply.reason, "badSecret");
    }
  });

  it("accepts any client when the server runs without a secret", () => {
    assert.equal(answerHello(helloMessage("layer", "x"), { serverVersion: "s" }).type, "HelloOk");
  });

  it("rejects an incompatible protocol version with both versions in the message", () => {
    const hello: Message = { ...helloMessage("layer", "x"), protocolVersion: "9.0.0" };
    const reply = answerHello(hello, { serverVersion: "s", protocolVersion: "1.0.0" });
    assert.equal(reply.type, "HelloRejected");
    assert.throws(
      () => checkHelloReply(reply),
      (e: unknown) => e instanceof HandshakeError && /9\.0\.0.*1\.0\.0/.test(e.message),
    );
  });

  it("rejects a first message that is not Hello", () => {
    const reply = answerHello({ type: "Ping" }, server);
    assert.equal(reply.type === "HelloRejected" && reply.reason, "unexpected");
  });

  it("client side refuses a server speaking a different major version", () => {
    const reply: Message = { type: "HelloOk", protocolVersion: "2.0.0", serverVersion: "future" };
    assert.throws(() => checkHelloReply(reply, "1.0.0"), /major version differs/);
    assert.throws(() => checkHelloReply({ type: "Pong" }), /expected HelloOk/);
  });
});
