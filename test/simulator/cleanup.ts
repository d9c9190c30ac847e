/**
 * Removing what simulator runs left: processes, network namespaces (with their bridges and veths), the host
 * guard table and run directories. Synchronous, so it also works from a process "exit" handler.
 * `destroyRun` removes one cluster; `sweepDeadRuns` removes every run whose owner process is gone.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { listGuardTables, removeGuard } from "./guard.ts";
import { isOfRun, ownerPidOf, RUN_ROOT } from "./naming.ts";
import { listNetns, pidsInNetns } from "./network.ts";
import { isAlive, processStartTime, runSync, terminateSync } from "./process.ts";

const OWNER_FILE = "owner";
const PIDS_FILE = "pids";
const KILL_PASSES = 3;

export const ownerFile = (runDir: string) => `${runDir}/${OWNER_FILE}`;
export const pidsFile = (runDir: string) => `${runDir}/${PIDS_FILE}`;

/** A line of the pids/owner files: `<pid> <start time>`, so a recycled PID is never mistaken for ours. */
export function pidRecord(pid: number): string {
  return `${pid} ${processStartTime(pid) ?? "?"}\n`;
}

interface Leftovers {
  netns: string[];
  tables: string[];
  runDirs: string[];
}

function findLeftovers(matches: (name: string) => boolean): Leftovers {
  const runDirs = existsSync(RUN_ROOT) ? readdirSync(RUN_ROOT).filter(matches) : [];
  return {
    netns: listNetns().filter(matches),
    tables: listGuardTables().filter(matches),
    runDirs: runDirs.map((name) => `${RUN_ROOT}/${name}`),
  };
}

/** Recorded PIDs still running the same process (same start time). */
function recordedLivePids(runDirs: readonly string[]): number[] {
  return runDirs.flatMap((dir) => {
    if (!existsSync(pidsFile(dir))) return [];
    return readFileSync(pidsFile(dir), "utf8")
      .split("\n")
      .flatMap((line) => {
        const [pid, startTime] = line.split(" ");
        return pid && startTime && processStartTime(Number(pid)) === startTime ? [Number(pid)] : [];
      });
  });
}

function hostMountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((mountPoint) => mountPoint === dir || mountPoint.startsWith(`${dir}/`));
}

/** Removes everything listed; returns what could not be removed (empty when all went). */
function removeLeftovers(leftovers: Leftovers): string[] {
  const problems: string[] = [];
  let survivors: number[] = [];
  for (let pass = 0; pass < KILL_PASSES; pass++) {
    const pids = [...recordedLivePids(leftovers.runDirs), ...pidsInNetns(leftovers.netns)].filter(
      (pid) => pid !== process.pid,
    );
    if (pids.length === 0) break;
    survivors = terminateSync(pids);
  }
  if (survivors.length > 0) problems.push(`processes that would not die: ${survivors.join(", ")}`);
  for (const netns of leftovers.netns) {
    const result = runSync(["ip", "netns", "delete", netns]);
    if (result.code !== 0) problems.push(`netns ${netns}: ${result.stderr.trim()}`);
  }
  for (const table of leftovers.tables) removeGuard(table);
  for (const dir of leftovers.runDirs) {
    const mounts = hostMountsUnder(dir);
    if (mounts.length > 0) {
      problems.push(`${dir} not removed: host mounts inside it: ${mounts.join(", ")}`);
      continue;
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return problems;
}

/** Removes one cluster's run completely; throws listing whatever survived. Safe to call repeatedly. */
export function destroyRun(prefix: string): void {
  const problems = removeLeftovers(findLeftovers((name) => isOfRun(name, prefix)));
  if (problems.length > 0)
    throw new Error(`cluster ${prefix} not fully destroyed:\n  ${problems.join("\n  ")}`);
}

/** An owner counts as alive if its PID runs and, where a run recorded it, with the same start time. */
function ownerAlive(pid: number): boolean {
  if (!isAlive(pid)) return false;
  const dirs = existsSync(RUN_ROOT) ? readdirSync(RUN_ROOT).filter((name) => ownerPidOf(name) === pid) : [];
  return dirs.every((name) => {
    const file = ownerFile(`${RUN_ROOT}/${name}`);
    if (!existsSync(file)) return true;
    const [, startTime] = readFileSync(file, "utf8").trim().split(" ");
    return startTime === processStartTime(pid);
  });
}

/** Removes the leftovers of every run whose owner process died; returns the dead owners' PIDs. */
export function sweepDeadRuns(): number[] {
  const everything = findLeftovers((name) => ownerPidOf(name) !== undefined);
  const owners = new Set(
    [
      ...everything.netns,
      ...everything.tables,
      ...everything.runDirs.map((dir) => dir.slice(RUN_ROOT.length + 1)),
    ]
      .map(ownerPidOf)
      .filter((pid): pid is number => pid !== undefined),
  );
  const dead = [...owners].filter((pid) => pid !== process.pid && !ownerAlive(pid));
  for (const pid of dead) removeLeftovers(findLeftovers((name) => ownerPidOf(name) === pid));
  return dead;
}
