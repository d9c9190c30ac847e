/**
 * Starts a helper process (the internal proxy) that outlives us: its own session (so Ctrl-C to the
 * user's program does not reach it) and re-parented to init (so it never becomes a surprise child of
 * the program `mirrord exec` turns into). Waits for the one line it prints when ready.
 */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import type { Readable } from "node:stream";

export interface DetachedStart {
  /** The first line the process printed on stdout. */
  line: string;
}

export class DetachedStartError extends Error {
  override readonly name = "DetachedStartError";
}

export function startDetached(
  path: string,
  argv: readonly string[],
  env: Record<string, string>,
  timeoutMs: number,
  /** Our fds the process gets as its fds 3, 4, … (e.g. our stderr, for messages meant for the user). */
  passFds: readonly number[] = [],
): Promise<DetachedStart> {
  // `sh -c '"$@" &'` forks the real process and exits at once: the process is orphaned to init.
  // Fds 1 and 2 are pipes whatever follows them; TypeScript loses that through the spread.
  const shell = spawn("/bin/sh", ["-c", '"$@" &', "sh", path, ...argv.slice(1)], {
    detached: true,
    env,
    stdio: ["ignore", "pipe", "pipe", ...passFds],
    argv0: "sh",
  }) as ChildProcessByStdio<null, Readable, Readable>;
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    let settled = false;
    const finish = (error: Error | undefined, line?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      shell.stdout.destroy();
      shell.stderr.destroy();
      if (error) reject(error);
      else resolve({ line: line ?? "" });
    };
    const timer = setTimeout(
      () =>
        finish(
          new DetachedStartError(`not ready after ${timeoutMs} ms${stderr ? `: ${stderr.trim()}` : ""}`),
        ),
      timeoutMs,
    );
    shell.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf("\n");
      if (newline !== -1) finish(undefined, stdout.slice(0, newline).trim());
    });
    shell.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    // Both pipes close when the real process exits without printing its line.
    shell.stdout.on("end", () => {
      setTimeout(() => finish(new DetachedStartError(stderr.trim() || "exited before it was ready")), 50);
    });
    shell.on("error", (error) => finish(new DetachedStartError(error.message)));
  });
}
