#!/usr/bin/env bun
/** Entry point of the single `mirrord` executable (CLI, agent and internal proxy alike). */
import { stdioDetached } from "../platform/index.ts";
import { describeError } from "./errors.ts";
import { runProgram } from "./program.ts";

// `mirrord schema | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    // A detached process (the intproxy) let go of its stdio on purpose; the runtime may still report the
    // pipe it started with breaking (its poll outlives the dup2), which must not stop it.
    if (stdioDetached()) return;
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// No top-level await: the executable is compiled to bytecode, which needs a plain (CommonJS-style) entry.
runProgram(process.argv.slice(2)).catch((error: unknown) => {
  const { exitCode, text } = describeError(error, process.env.MIRRORD_LOG);
  process.stderr.write(text);
  process.exitCode = exitCode;
});
