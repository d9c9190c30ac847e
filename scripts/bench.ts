/**
 * Benchmarks, each against a baseline measured in the same run (not part of the test suite).
 *   P7: wall time of `mirrord exec -- true` over connect_tcp minus a bare `true` (medians).
 * Later issues add rows (files, network, HTTP filtering).
 */
import { join } from "node:path";
import { sampleApps } from "../test/simulator/index.ts";
import { type PodSession, startPodSession } from "../test/support/pod-session.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 15);

interface Row {
  id: string;
  what: string;
  measured: string;
  baseline: string;
  result: string;
  goal: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function timeRuns(runs: number, once: () => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await once();
    times.push(performance.now() - start);
  }
  return times;
}

async function spawnOk(argv: string[], env: Record<string, string>): Promise<void> {
  const child = Bun.spawn(argv, { env, stdout: "ignore", stderr: "pipe" });
  const code = await child.exited;
  if (code !== 0)
    throw new Error(`${argv.join(" ")} exited ${code}: ${await new Response(child.stderr).text()}`);
}

async function p7(session: PodSession): Promise<Row> {
  const env = {
    ...(process.env as Record<string, string>),
    MIRRORD_CONNECT_TCP: session.agentAddress,
    MIRRORD_PROGRESS_MODE: "off",
  };
  const mirrord = join(import.meta.dir, "..", "dist", "mirrord");
  await spawnOk([mirrord, "exec", "--", "true"], env); // warm-up: layer extraction, page cache
  const bare = median(await timeRuns(RUNS, () => spawnOk(["/bin/true"], env)));
  const underMirrord = median(await timeRuns(RUNS, () => spawnOk([mirrord, "exec", "--", "/bin/true"], env)));
  return {
    id: "P7",
    what: `mirrord exec -- true, added wall time (median of ${RUNS})`,
    measured: `${underMirrord.toFixed(1)} ms`,
    baseline: `${bare.toFixed(1)} ms`,
    result: `+${(underMirrord - bare).toFixed(1)} ms (×${(underMirrord / bare).toFixed(1)})`,
    goal: "report",
  };
}

function printTable(rows: Row[]): void {
  const header: Row = {
    id: "row",
    what: "what",
    measured: "mirrord",
    baseline: "baseline",
    result: "result",
    goal: "goal",
  };
  const all = [header, ...rows];
  const keys = Object.keys(header) as (keyof Row)[];
  const widths = keys.map((key) => Math.max(...all.map((row) => row[key].length)));
  for (const row of all) console.log(keys.map((key, i) => row[key].padEnd(widths[i] as number)).join("  "));
}

const session = await startPodSession("bench", {
  name: "api",
  env: { APP_MODE: "bench" },
  app: sampleApps.httpEcho(8080),
  ports: [8080],
});
try {
  printTable([await p7(session)]);
} finally {
  await session.destroy();
}
