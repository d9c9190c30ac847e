import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CliError, describeError, UsageError } from "./errors.ts";

describe("describeError", () => {
  it("reports usage errors with exit code 2 and a hint", () => {
    const { exitCode, text } = describeError(new UsageError("unknown option `--x`"), undefined);
    assert.equal(exitCode, 2);
    assert.match(text, /^error: unknown option `--x`\n {2}hint: /);
  });

  it("reports runtime errors with exit code 1, one line of cause and the hint, no stack", () => {
    const { exitCode, text } = describeError(
      new CliError("agent not ready", "raise agent.startup_timeout"),
      "info",
    );
    assert.equal(exitCode, 1);
    assert.equal(text, "error: agent not ready\n  hint: raise agent.startup_timeout\n");
  });

  it("adds the stack trace only when MIRRORD_LOG asks for debug", () => {
    const error = new Error("boom");
    assert.doesNotMatch(describeError(error, undefined).text, /at /);
    assert.match(describeError(error, "mirrord=debug").text, /Error: boom\n\s+at /);
  });
});
