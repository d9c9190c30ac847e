import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAgentArgs } from "./options.ts";

describe("parseAgentArgs", () => {
  it("applies the defaults: port 61337, 30 s", () => {
    assert.deepEqual(parseAgentArgs({ mode: ["targetless"] }), {
      port: 61337,
      communicationTimeoutMs: 30_000,
      mode: { kind: "targetless" },
    });
  });
  it("reads targeted --pid with a custom port and timeout (numbers or strings, as cac hands them)", () => {
    assert.deepEqual(
      parseAgentArgs({ mode: ["targeted"], pid: 4242, communicatePort: "7000", communicationTimeout: 2 }),
      {
        port: 7000,
        communicationTimeoutMs: 2_000,
        mode: { kind: "targeted", pid: 4242 },
      },
    );
  });
  it("reads targeted --container-id, defaulting the runtime to containerd", () => {
    assert.deepEqual(parseAgentArgs({ mode: ["targeted"], containerId: "abc" }).mode, {
      kind: "targetedContainer",
      containerId: "abc",
      runtime: "containerd",
    });
  });
  it("rejects bad invocations with a message naming the problem", () => {
    const cases: [Parameters<typeof parseAgentArgs>[0], RegExp][] = [
      [{ mode: [] }, /missing mode/],
      [{ mode: ["sideways"] }, /unknown mode "sideways"/],
      [{ mode: ["targeted"] }, /targeted needs --pid/],
      [{ mode: ["targeted"], pid: "12x" }, /--pid must be an integer/],
      [{ mode: ["targeted"], pid: 0 }, /--pid must be an integer/],
      [{ mode: ["targeted"], pid: 1, containerId: "c" }, /either --pid or --container-id/],
      [{ mode: ["ephemeral"], pid: 1 }, /belong to mode targeted, not ephemeral/],
      [{ mode: ["targetless", "extra"] }, /unexpected argument "extra"/],
      [
        { mode: ["targetless"], communicatePort: 70000 },
        /--communicate-port must be an integer from 1 to 65535/,
      ],
      [{ mode: ["targetless"], communicationTimeout: "-1" }, /--communication-timeout/],
    ];
    for (const [raw, expected] of cases) assert.throws(() => parseAgentArgs(raw), expected);
  });
});
