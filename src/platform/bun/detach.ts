/**
 * Detaching a background process (the intproxy) from the terminal that started it: its own session, so
 * the terminal's Ctrl-C and hangup never reach it, and stdio pointed at /dev/null once the parent has
 * read what it needed, so a closed pipe can never kill it with SIGPIPE (stderr may go to a log file).
 */
import { closeSync, openSync } from "node:fs";
import { libc } from "./libc.ts";

let detached = false;

/** Whether `detachStdio` ran: the stdio this process started with is let go of on purpose. */
export function stdioDetached(): boolean {
  return detached;
}

/** Starts a new session; a process that already leads one (spawned detached) stays as it is. */
export function startOwnSession(): void {
  libc().setsid();
}

/**
 * Points fds 0 and 1 at /dev/null, and fd 2 at `stderrFile` (appended to) when given, else /dev/null too:
 * what the runtime itself prints there (a crash report) is then kept.
 */
export function detachStdio(stderrFile?: string): void {
  const devNull = openSync("/dev/null", "r+");
  const stderr = stderrFile ? openSync(stderrFile, "a", 0o600) : devNull;
  try {
    for (const [fd, target] of [
      [0, devNull],
      [1, devNull],
      [2, stderr],
    ] as const)
      if (libc().dup2(target, fd) < 0) throw new Error(`dup2(${target}, ${fd}) failed`);
  } finally {
    if (devNull > 2) closeSync(devNull);
    if (stderr !== devNull && stderr > 2) closeSync(stderr);
  }
  detached = true;
}
