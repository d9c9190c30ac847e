import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createProgress } from "./progress.ts";

function capture(stderrIsTty = false) {
  const out = { stdout: "", stderr: "" };
  return {
    out,
    sinks: {
      stdout: (t: string) => {
        out.stdout += t;
      },
      stderr: (t: string) => {
        out.stderr += t;
      },
      stderrIsTty,
    },
  };
}

function drive(mode: string | undefined, tty = false) {
  const { out, sinks } = capture(tty);
  const progress = createProgress(mode, sinks);
  progress.task("starting internal proxy");
  progress.done("internal proxy ready");
  progress.warn("steal without a filter");
  progress.info("Ready!");
  return out;
}

describe("createProgress", () => {
  it("std: symbols on stderr", () => {
    assert.deepEqual(drive("std"), {
      stdout: "",
      stderr: "* starting internal proxy\n✓ internal proxy ready\n! steal without a filter\n* Ready!\n",
    });
  });
  it("json: one object per line on stdout, in mirrord's shapes", () => {
    const lines = drive("json")
      .stdout.trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(lines, [
      { type: "NewTask", name: "starting internal proxy", parent: null },
      {
        type: "FinishedTask",
        name: "starting internal proxy",
        success: true,
        message: "internal proxy ready",
      },
      { type: "Warning", message: "steal without a filter" },
      { type: "Info", message: "Ready!" },
    ]);
  });
  it("simple: plain lines on stdout", () => {
    assert.equal(drive("simple").stdout.split("\n").at(-2), "Ready!");
  });
  it("default: standard on a terminal; elsewhere only warnings", () => {
    assert.match(drive(undefined, true).stderr, /^\* starting/);
    assert.deepEqual(drive(undefined, false), { stdout: "", stderr: "! steal without a filter\n" });
  });
  it("off: nothing at all", () => {
    assert.deepEqual(drive("off"), { stdout: "", stderr: "" });
  });
});
