/**
 * Detaching a background process (the intproxy) from the terminal that started it: its own session, so
 * the terminal's Ctrl-C and hangup never reach it, and stdio pointed at /dev/null once the parent has
 * read what it needed, so a closed pipe can never kill it with SIGPIPE.
 */
import { closeSync, openSync } from "node:fs";
import { libc } from "./libc.ts";

/** Starts a new session; a process that already leads one (spawned detached) stays as it is. */
export function startOwnSession(): void {
  libc().setsid();
}

/** Points fds 0, 1 and 2 at /dev/null. */
export function detachStdio(): void {
  const devNull = openSync("/dev/null", "r+");
  try {
    for (const fd of [0, 1, 2])
      if (libc().dup2(devNull, fd) < 0) throw new Error(`dup2(/dev/null, ${fd}) failed`);
  } finally {
    if (devNull > 2) closeSync(devNull);
  }
}
