/** Running commands and long-lived processes for the simulator, every wait bounded by time. */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { constants } from "node:os";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

const DEFAULT_RUN_TIMEOUT_MS = 15_000;
const OUTPUT_LIMIT_BYTES = 1 << 20;

function notFoundHint(command: string): string {
  return `command not found: ${command} (install the simulator's tools with scripts/install-system-deps)`;
}

/** Runs a command to completion; a non-zero exit is returned, not thrown. Throws on timeout or spawn failure. */
export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error("run: empty command");
  const timeoutMs = options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: "pipe" });
    const stdout = new OutputBuffer();
    const stderr = new OutputBuffer();
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`\`${argv.join(" ")}\` timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(error.code === "ENOENT" ? new Error(notFoundHint(command)) : error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128 + signalNumber(signal), stdout: stdout.text(), stderr: stderr.text() });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
  });
}

/** Like {@link run} but a non-zero exit is an error carrying the command and its stderr. */
export async function runChecked(argv: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await run(argv, options);
  if (result.code !== 0) {
    throw new Error(`\`${argv.join(" ")}\` exited with ${result.code}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** Synchronous run for cleanup paths that must also work inside a process "exit" handler. */
export function runSync(argv: readonly string[], timeoutMs = 5_000): RunResult {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error("runSync: empty command");
  const result = spawnSync(command, args, { encoding: "utf8", timeout: timeoutMs });
  return { code: result.status ?? -1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : (constants.signals[signal] ?? 0);
}

/** Keeps the last {@link OUTPUT_LIMIT_BYTES} of a stream, so a chatty process cannot exhaust memory. */
class OutputBuffer {
  private chunks: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > OUTPUT_LIMIT_BYTES && this.chunks.length > 1) {
      this.size -= this.chunks.shift()?.length ?? 0;
    }
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

export interface SpawnOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Called with the PID as soon as it exists, before any await: lets the owner record it for cleanup. */
  onSpawn?: (pid: number) => void;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A long-running process in its own process group (so its children die with it), with its output kept.
 * It does not keep the event loop alive: a forgotten process is still killed by the cluster's exit hook.
 */
export class SimProcess {
  readonly pid: number;
  readonly exited: Promise<Exit>;
  private readonly out = new OutputBuffer();
  private readonly err = new OutputBuffer();
  private exit: Exit | undefined;
  private readonly child: ChildProcess;

  constructor(
    readonly argv: readonly string[],
    options: SpawnOptions = {},
  ) {
    const [command, ...args] = argv;
    if (command === undefined) throw new Error("spawn: empty command");
    this.child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const spawnError = new Promise<Exit>((_, reject) =>
      this.child.on("error", (error: NodeJS.ErrnoException) =>
        reject(error.code === "ENOENT" ? new Error(notFoundHint(command)) : error),
      ),
    );
    if (this.child.pid === undefined) {
      throw new Error(`could not start \`${argv.join(" ")}\``);
    }
    this.pid = this.child.pid;
    options.onSpawn?.(this.pid);
    this.child.stdout?.on("data", (chunk: Buffer) => this.out.push(chunk));
    this.child.stderr?.on("data", (chunk: Buffer) => this.err.push(chunk));
    const closed = new Promise<Exit>((resolve) =>
      this.child.on("close", (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      }),
    );
    this.exited = Promise.race([closed, spawnError]);
    this.exited.catch(() => {});
    this.child.unref();
    for (const stream of [this.child.stdout, this.child.stderr]) {
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
    }
  }

  /** undefined while running. */
  get exitStatus(): Exit | undefined {
    return this.exit;
  }

  stdout(): string {
    return this.out.text();
  }

  stderr(): string {
    return this.err.text();
  }

  /** Signals the whole process group. */
  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    killGroup(this.pid, signal);
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves once the process has exited. */
  async stop(graceMs = 2_000): Promise<Exit> {
    if (this.exit !== undefined) return this.exit;
    this.kill("SIGTERM");
    const timer = setTimeout(() => this.kill("SIGKILL"), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits until the process prints something matching `pattern` on stdout; fails early if it exits first. */
  async waitForStdout(pattern: RegExp, what: string, timeoutMs: number): Promise<void> {
    await waitFor(what, timeoutMs, () => {
      if (pattern.test(this.stdout())) return true;
      if (this.exit !== undefined) {
        throw new Error(
          `${what}: \`${this.argv.join(" ")}\` exited (${describeExit(this.exit)}): ${this.stderr()}`,
        );
      }
      return false;
    });
  }
}

function describeExit(exit: Exit): string {
  return exit.signal === null ? `code ${exit.code}` : `signal ${exit.signal}`;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Polls `check` every intervalMs until it returns true; throws naming `what` after timeoutMs. */
export async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => boolean | Promise<boolean>,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const maxAttempts = Math.ceil(timeoutMs / intervalMs) + 1;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    if (await check()) return;
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocking sleep, for the synchronous cleanup path only. */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or undefined if gone. */
export function processStartTime(pid: number): string | undefined {
  const stat = readStat(pid);
  return stat?.[19];
}

/** A process counts as alive until it is a zombie: zombies hold no namespaces, sockets or mounts. */
export function isAlive(pid: number): boolean {
  const state = readStat(pid)?.[0];
  return state !== undefined && state !== "Z" && state !== "X";
}

/** Fields of /proc/PID/stat after the command name, starting with the state (field 3). */
function readStat(pid: number): string[] | undefined {
  const path = `/proc/${pid}/stat`;
  if (!existsSync(path)) return undefined;
  try {
    const stat = readFileSync(path, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** SIGTERM all, wait up to graceMs, SIGKILL the rest, wait again. Synchronous and bounded. */
export function terminateSync(pids: Iterable<number>, graceMs = 1_000): number[] {
  const targets = [...new Set(pids)].filter(isAlive);
  for (const pid of targets) killGroup(pid, "SIGTERM");
  const pollMs = 20;
  for (let waited = 0; waited < graceMs && targets.some(isAlive); waited += pollMs) sleepSync(pollMs);
  const stubborn = targets.filter(isAlive);
  for (const pid of stubborn) killGroup(pid, "SIGKILL");
  for (let waited = 0; waited < graceMs && stubborn.some(isAlive); waited += pollMs) sleepSync(pollMs);
  return targets.filter(isAlive);
}
