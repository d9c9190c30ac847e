#!/usr/bin/env bun
/** Entry point of the single `mirrord` executable (CLI, agent and internal proxy alike). */
import { describeError } from "./errors.ts";
import { runProgram } from "./program.ts";

try {
  await runProgram(process.argv.slice(2));
} catch (error) {
  const { exitCode, text } = describeError(error, process.env.MIRRORD_LOG);
  process.stderr.write(text);
  process.exitCode = exitCode;
}
