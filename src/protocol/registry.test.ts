import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { messages, namedTypes } from "./catalogue.ts";
import { catalogueProblems, minWireSize } from "./registry.ts";
import { enumType, list, message, ref, string, struct, u8, u16 } from "./schema.ts";

describe("catalogue", () => {
  it("obeys every consistency rule", () => {
    assert.deepEqual(catalogueProblems(), []);
  });

  it("reports duplicate tags, unknown types and reserved names", () => {
    const problems = catalogueProblems(
      [enumType("E", "u8", { a: 1, b: 1 })],
      [message("A", 1, "client", { type: u8 }), message("B", 1, "client", { x: ref("Missing") })],
    );
    assert.ok(problems.includes("duplicate message tags"));
    assert.ok(problems.includes("B.x: unknown type Missing"));
    assert.ok(problems.includes('A: field name "type" is reserved'));
    assert.ok(problems.includes("E: duplicate enum values"));
  });

  it("rejects lists whose items could take no bytes (a count could then claim any size)", () => {
    const empty = struct("Empty", {});
    const problems = catalogueProblems([empty], [message("A", 1, "client", { xs: list(ref(empty)) })]);
    assert.deepEqual(problems, ["A.xs: list items must occupy at least one byte"]);
  });

  it("computes the smallest wire size of composite types", () => {
    assert.equal(minWireSize(ref("Timespec")), 12);
    assert.equal(minWireSize(ref("SocketAddress")), 1);
    assert.equal(minWireSize(list(u16)), 4);
    assert.equal(minWireSize(string), 4);
  });

  it("has a handshake, heartbeat and error reply, and unique names", () => {
    const names = new Set(messages.map((m) => m.name));
    for (const required of ["Hello", "HelloOk", "HelloRejected", "Ping", "Pong", "Close", "ErrorReply"])
      assert.ok(names.has(required), required);
    assert.equal(new Set(namedTypes.map((t) => t.name)).size, namedTypes.length);
  });
});
