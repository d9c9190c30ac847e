/**
 * The process the agent works for: its PID, the root its files are served from, its environment.
 * Built once at start; every feature handler receives it.
 */
import { readFileSync } from "node:fs";
import type { Logger } from "../transport/log.ts";
import { parseEnviron } from "./env-filter.ts";

export interface TargetContext {
  readonly mode: "targeted" | "ephemeral" | "targetless";
  /** Null when targetless. */
  readonly pid: number | null;
  /** Where the target's filesystem is seen from here: `/proc/<pid>/root`, or `/` when targetless. */
  readonly root: string;
  readonly env: ReadonlyMap<string, string>;
}

/** The agent's own control variables, never served as part of the target's environment. */
const AGENT_CONTROL_VAR = /^MIRRORD_AGENT_/;

function readEnviron(pid: number, log: Logger): Map<string, string> {
  const path = `/proc/${pid}/environ`;
  try {
    return parseEnviron(readFileSync(path, "latin1"));
  } catch (error) {
    log.warn("cannot read the target's environment; serving an empty one", {
      path,
      error: (error as NodeJS.ErrnoException).code ?? String(error),
    });
    return new Map();
  }
}

export function targetedContext(pid: number, log: Logger): TargetContext {
  return { mode: "targeted", pid, root: `/proc/${pid}/root`, env: readEnviron(pid, log) };
}

/**
 * Ephemeral container beside the target: PID 1 is the target container's init. The agent's own env
 * (seeded by the CLI with the target container's env) is overlaid by PID 1's actual environ.
 */
export function ephemeralContext(log: Logger, ownEnv: NodeJS.ProcessEnv = process.env): TargetContext {
  const env = new Map<string, string>();
  for (const [name, value] of Object.entries(ownEnv))
    if (value !== undefined && !AGENT_CONTROL_VAR.test(name)) env.set(name, value);
  for (const [name, value] of readEnviron(1, log)) env.set(name, value);
  return { mode: "ephemeral", pid: 1, root: "/proc/1/root", env };
}

export function targetlessContext(): TargetContext {
  return { mode: "targetless", pid: null, root: "/", env: new Map() };
}
