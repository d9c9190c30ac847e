/**
 * The user's terminal, as a detached intproxy reaches it: `mirrord exec` hands its stderr over as an
 * inherited fd, and then becomes the user's program (execve keeps the PID). The intproxy holds that fd
 * only while the program lives, so a reader of a piped stderr sees EOF when the program ends, not when
 * the intproxy idles out. Needs /proc (Linux) to see the program end; without it the fd is let go at once.
 */
import { closeSync, readFileSync, writeSync } from "node:fs";

/** How often the program's liveness is checked while its stderr is held. */
const WATCH_MS = 100;

export interface ProgramStderr {
  /** Writes `text`; false when there is no terminal (any more) or the write failed. */
  write(text: string): boolean;
}

/** Field 22 of /proc/<pid>/stat: tells the program apart from a later process given the same PID. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function positiveInteger(text: string | undefined): number | undefined {
  const value = Number(text);
  return text && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/** From `MIRRORD_INTPROXY_USER_STDERR_FD` and `MIRRORD_INTPROXY_PROGRAM_PID`, read at start-up. */
export function programStderr(fdText: string | undefined, pidText: string | undefined): ProgramStderr {
  const fd = positiveInteger(fdText);
  const pid = positiveInteger(pidText);
  if (fd === undefined) return { write: () => false };
  const startTime = pid === undefined ? undefined : startTimeOf(pid);
  let open = true;
  const release = () => {
    if (!open) return;
    open = false;
    clearInterval(watch);
    try {
      closeSync(fd);
    } catch {}
  };
  const watch = setInterval(() => {
    if (pid === undefined || startTimeOf(pid) !== startTime) release();
  }, WATCH_MS);
  watch.unref();
  if (startTime === undefined) release();
  return {
    write: (text) => {
      if (!open) return false;
      try {
        const bytes = Buffer.from(text);
        return writeSync(fd, bytes) === bytes.length;
      } catch {
        release();
        return false;
      }
    },
  };
}
