/**
 * Benchmarks, each against a baseline measured in the same run (not part of the test suite).
 *   P1-P3: remote files (see filesRows).
 *   P6: mirrored HTTP requests lost at 1,000 req/s (a program under mirrord exec vs the pod's app log).
 *   P4, P4f, P4c, P8: outgoing bulk throughput, its ceiling here, the agent's CPU per MiB and peak memory
 *   (see bench-outgoing.ts).
 *   P5, P5l: stolen HTTP keep-alive requests/s ÷ direct to the local program; the p50 latency a steal adds
 *       to one request in flight (see bench-steal.ts).
 *   P5f: filtered steal, matching and other requests/s ÷ direct, added p50 (see bench-http-filter.ts).
 *   P7: wall time of `mirrord exec -- true` over connect_tcp minus a bare `true` (medians).
 * Later issues add rows (files, network, HTTP filtering). BENCH_ONLY=P4,P5 runs only some rows.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRecorder } from "../test/e2e/mirror-recorder.ts";
import { sampleApps } from "../test/simulator/index.ts";
import { type PodSession, startPodSession } from "../test/support/pod-session.ts";
import { p5f } from "./bench-http-filter.ts";
import { outgoingRows } from "./bench-outgoing.ts";
import { median } from "./bench-stats.ts";
import { p5 } from "./bench-steal.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const REPO = join(import.meta.dir, "..");
const MIRRORD = join(REPO, "dist", "mirrord");

export interface Row {
  id: string;
  what: string;
  measured: string;
  baseline: string;
  result: string;
  goal: string;
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

/** `ns=… ops=… bytes=…` of one fs_bench run, under mirrord (fs mode read) or not. */
async function fsBench(session: PodSession | undefined, args: string[]): Promise<Record<string, number>> {
  const argv = session ? [MIRRORD, "exec", "--fs-mode", "read", "--", ...args] : args;
  const env = {
    ...(process.env as Record<string, string>),
    MIRRORD_CONNECT_TCP: session?.agentAddress ?? "",
  };
  const child = Bun.spawn(argv, {
    env: { ...env, MIRRORD_PROGRESS_MODE: "off" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`${argv.join(" ")} exited ${code}: ${err}`);
  return Object.fromEntries(
    out
      .trim()
      .split(" ")
      .map((field) => field.split("="))
      .map(([k, v]) => [k, Number(v)]),
  );
}

/**
 * P1: 100k open+fstat+close of a local file under the layer ÷ without (the fs policy's cost on local files).
 * P2: a 64 MiB pod file read in 64 KiB reads ÷ the same bytes through a two-hop TCP relay (port-forward →
 *     socat in the pod's network namespace), both as MiB/s.
 * P3: 1-byte reads of a 4 KiB pod file, µs per read (read-ahead serves them).
 */
async function filesRows(session: PodSession): Promise<Row[]> {
  const work = mkdtempSync(join(tmpdir(), "mirrord-bench-files-"));
  try {
    const bench = join(work, "fs_bench");
    const gcc = Bun.spawnSync(["gcc", "-O2", "-o", bench, join(REPO, "test/e2e/programs/fs_bench.c")]);
    if (gcc.exitCode !== 0) throw new Error(`gcc fs_bench.c: ${gcc.stderr}`);
    const local = join(work, "local.txt");
    writeFileSync(local, "local");
    // CPU time per operation, runs alternating with and without the layer: other work on the machine
    // shifts both sides alike.
    const openStat = [bench, "openstat", local, "100000"];
    const perOp = (run: Record<string, number>) => (run.cpu_ns as number) / (run.ops as number);
    const p1Base: number[] = [];
    const p1Runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      p1Base.push(perOp(await fsBench(undefined, openStat)));
      p1Runs.push(perOp(await fsBench(session, openStat)));
    }
    const [p1, p1Baseline] = [median(p1Runs), median(p1Base)];

    const big = Buffer.alloc(64 * 1024 * 1024, "mirrord");
    const podRoot = `/proc/${session.pod.appPid}/root`;
    writeFileSync(`${podRoot}/big.bin`, big);
    writeFileSync(`${podRoot}/small.bin`, big.subarray(0, 4096));
    const hostCopy = join(work, "big.bin");
    writeFileSync(hostCopy, big);
    const relay = session.cluster.spawnInPodNetns(session.pod, [
      "socat",
      "-U",
      "TCP-LISTEN:9100,reuseaddr,fork,nodelay",
      `OPEN:${hostCopy}`,
    ]);
    const mibps = (run: Record<string, number>) =>
      (run.bytes as number) / 1024 / 1024 / ((run.ns as number) / 1e9);
    let p2Base: number;
    try {
      const forward = await session.cluster.forward(session.pod, 9100);
      const viaRelay = () =>
        fsBench(undefined, [bench, "tcpread", forward.host, String(forward.port), "65536"]);
      // The relay listens a moment after it starts: until then the forward hands back an empty stream.
      for (let tries = 0; (await viaRelay()).bytes !== big.length; tries++) {
        if (tries === 50)
          throw new Error(`the TCP relay in the pod never served the file: ${relay.stderr()}`);
        await Bun.sleep(100);
      }
      p2Base = median(await timesOf(3, viaRelay, mibps));
    } finally {
      relay.kill();
    }
    const p2 = median(await timesOf(3, () => fsBench(session, [bench, "read", "/big.bin", "65536"]), mibps));
    const p3 = median(
      await timesOf(
        3,
        () => fsBench(session, [bench, "read", "/small.bin", "1"]),
        (run) => (run.ns as number) / 1000 / (run.ops as number),
      ),
    );
    return [
      {
        id: "P1",
        what: "open+fstat+close of a local file, 100k, CPU time (median of 5)",
        measured: `${(p1 / 1000).toFixed(2)} µs/op`,
        baseline: `${(p1Baseline / 1000).toFixed(2)} µs/op`,
        result: `×${(p1 / p1Baseline).toFixed(2)}`,
        goal: "≤ 1.10",
      },
      {
        id: "P2",
        what: "64 MiB pod file in 64 KiB reads vs two-hop TCP relay (median of 3)",
        measured: `${p2.toFixed(0)} MiB/s`,
        baseline: `${p2Base.toFixed(0)} MiB/s`,
        result: `×${(p2 / p2Base).toFixed(2)}`,
        goal: "≥ 0.5",
      },
      {
        id: "P3",
        what: "1-byte reads of a 4 KiB pod file (median of 3)",
        measured: `${p3.toFixed(2)} µs/read`,
        baseline: "-",
        result: `${p3.toFixed(2)} µs`,
        goal: "≤ 20 µs",
      },
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function timesOf<T>(
  runs: number,
  once: () => Promise<T>,
  measure: (value: T) => number,
): Promise<number[]> {
  const values: number[] = [];
  for (let i = 0; i < runs; i++) values.push(measure(await once()));
  return values;
}

/** Client in another namespace: `count` HTTP requests, one connection each, started at `rate` per second. */
const PACED_HTTP_CLIENT = `
import asyncio, json, sys, time
ip, port, rate, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
async def one(i):
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection(ip, port), 30)
        w.write(b"GET /p6/%d HTTP/1.1\\r\\nHost: pod\\r\\nConnection: close\\r\\n\\r\\n" % i)
        await asyncio.wait_for(r.read(), 30)
        w.close()
    except Exception:
        pass  # the pod's app log says which requests it served
async def main():
    start, tasks = time.monotonic(), []
    for i in range(count):
        delay = start + i / rate - time.monotonic()
        if delay > 0: await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    seconds = time.monotonic() - start
    await asyncio.gather(*tasks)
    print(json.dumps({"seconds": seconds}))
asyncio.run(main())
`;

/**
 * P6: requests the pod's app served at 1,000 req/s (one connection each) that a local program mirroring
 * the port under `mirrord exec` did not get a copy of. Requests are told apart by path, so a copy counts
 * only for its own request.
 */
async function p6(session: PodSession): Promise<Row> {
  const requests = Number(process.env.BENCH_P6_REQUESTS ?? 5000);
  const client = await session.cluster.addClient("p6");
  const work = mkdtempSync(join(tmpdir(), "mirrord-bench-p6-"));
  const config = join(work, "mirror.json");
  writeFileSync(config, JSON.stringify({ feature: { network: { incoming: { mode: "mirror" } } } }));
  const recorder = await startRecorder(session.agentAddress, config, [8080]);
  try {
    const load = await client.exec(
      ["python3", "-c", PACED_HTTP_CLIENT, session.pod.ip, "8080", "1000", String(requests)],
      { timeoutMs: 300_000 },
    );
    if (load.code !== 0) throw new Error(`P6 client failed: ${load.stderr}`);
    const { seconds } = JSON.parse(load.stdout) as { seconds: number };
    const served = new Set(
      [...session.pod.logs().matchAll(/"GET (\/p6\/\d+) HTTP/g)].map((match) => match[1]),
    );
    const copied = () => new Set(recorder.received().map((copy) => /^GET (\/p6\/\d+) /.exec(copy.head)?.[1]));
    // Copies of the last requests may still be on their way.
    let lost = served.size;
    for (let waited = 0; waited <= 5_000; waited += 100) {
      const have = copied();
      lost = [...served].filter((path) => !have.has(path)).length;
      if (lost === 0) break;
      await Bun.sleep(100);
    }
    return {
      id: "P6",
      what: `mirrored HTTP requests lost at ${Math.round(requests / seconds)} req/s (${requests} sent)`,
      measured: `${served.size - lost} copied`,
      baseline: `${served.size} served by the pod`,
      result: `${lost} lost`,
      goal: "0",
    };
  } finally {
    await recorder.stop();
    rmSync(work, { recursive: true, force: true });
  }
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
/** BENCH_ONLY=P1,P4 runs only the groups producing those rows (a group such as P1-P3 runs whole). */
const only = process.env.BENCH_ONLY?.split(",").map((id) => id.trim().toUpperCase());
const groups: [string[], () => Promise<Row | Row[]>][] = [
  [["P1", "P2", "P3"], () => filesRows(session)],
  [["P7"], () => p7(session)],
  [["P6"], () => p6(session)],
  [["P4", "P4F", "P4C", "P8"], () => outgoingRows(session, Math.min(RUNS, 5))],
  [["P5", "P5L"], () => p5(session)],
  [["P5F"], () => p5f(session)],
];
try {
  const rows: Row[] = [];
  for (const [ids, measure] of groups)
    if (!only || ids.some((id) => only.includes(id))) rows.push(...[await measure()].flat());
  printTable(rows);
} finally {
  await session.destroy();
}
