/** Errors the CLI reports to the user: one line of cause, one line of hint, the right exit code. */

/** A mistake in how mirrord was invoked (unknown flag, missing argument). Exit code 2, like clap. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  constructor(
    message: string,
    readonly hint = "Run `mirrord --help` (or `mirrord <command> --help`) to see what is accepted.",
  ) {
    super(message);
  }
}

/** Something went wrong while doing what the user asked. Exit code 1. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const EXIT_RUNTIME_ERROR = 1;
export const EXIT_USAGE_ERROR = 2;

export interface ReportedError {
  exitCode: number;
  text: string;
}

/** Renders any thrown value for stderr; stack traces only when `MIRRORD_LOG=debug` (or trace). */
export function describeError(error: unknown, logLevel: string | undefined): ReportedError {
  const verbose = logLevel !== undefined && /\b(debug|trace)\b/i.test(logLevel);
  const lines: string[] = [];
  let exitCode = EXIT_RUNTIME_ERROR;
  if (error instanceof UsageError) {
    exitCode = EXIT_USAGE_ERROR;
    lines.push(`error: ${error.message}`, `  hint: ${error.hint}`);
  } else if (error instanceof CliError) {
    lines.push(`error: ${error.message}`);
    if (error.hint) lines.push(`  hint: ${error.hint}`);
  } else {
    const message = error instanceof Error ? error.message : String(error);
    lines.push(
      `error: ${message}`,
      "  hint: this is unexpected; run again with MIRRORD_LOG=debug and report the output.",
    );
  }
  if (verbose && error instanceof Error && error.stack) lines.push(error.stack);
  return { exitCode, text: `${lines.join("\n")}\n` };
}
