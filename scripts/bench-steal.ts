/**
 * Steal row of scripts/bench.ts.
 *   P5: HTTP keep-alive requests/s a client in another namespace gets from the local program through a
 *       steal of the pod's port ÷ the same client code hitting the same program directly on loopback
 *       (same run, same program), 4 connections at once.
 *   P5l: the p50 latency the steal adds to a request, measured with one request in flight. Under P5's
 *       load the p50 is set by throughput (4 requests always in flight: p50 ≈ 4 ÷ req/s), so P5's p50s
 *       are reported there but say nothing P5's ratio does not.
 * Each is the median of BENCH_P5_RUNS runs (5) of each path, the two paths taking turns: one run of
 * 2,000 requests lasts under a second, and this VM's speed drifts more than that within a minute.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocal } from "../test/e2e/steal-harness.ts";
import { run } from "../test/support/binary.ts";
import type { PodSession } from "../test/support/pod-session.ts";
import type { Row } from "./bench.ts";
import { keepAliveArgv, type Measurement, parseMeasurement } from "./bench-keepalive.ts";
import { median } from "./bench-stats.ts";

const POD_PORT = 8080;
const PATH = "/p5";

/** A port free on the laptop right now: where the stolen program really listens (`listen_ports`), so the
 * baseline can reach it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** `runs` turns of `direct` then `through`; for each, the median requests/s and the median p50. */
async function alternating(
  runs: number,
  direct: () => Promise<Measurement>,
  through: () => Promise<Measurement>,
): Promise<{ direct: Measurement; through: Measurement }> {
  const measured = { direct: [] as Measurement[], through: [] as Measurement[] };
  for (let i = 0; i < runs; i++) {
    measured.direct.push(await direct());
    measured.through.push(await through());
  }
  const medianOf = (of: Measurement[]): Measurement => ({
    rps: median(of.map((m) => m.rps)),
    p50_ms: median(of.map((m) => m.p50_ms)),
  });
  return { direct: medianOf(measured.direct), through: medianOf(measured.through) };
}

export async function p5(
  session: PodSession,
  requests = Number(process.env.BENCH_P5_REQUESTS ?? 2000),
  runs = Number(process.env.BENCH_P5_RUNS ?? 5),
): Promise<Row[]> {
  const threads = 4;
  const perThread = String(Math.ceil(requests / threads));
  const sequential = String(Math.ceil(requests / 4));
  const client = await session.cluster.addClient("p5");
  const scratch = mkdtempSync(join(tmpdir(), "mirrord-bench-p5-"));
  const localPort = await freePort();
  const local = await startLocal(
    session.agentAddress,
    scratch,
    { mode: "steal", listen_ports: [[POD_PORT, localPort]] },
    ["http", String(POD_PORT)],
  );
  const direct = async (connections: number, count: string) =>
    parseMeasurement(
      await run(keepAliveArgv("127.0.0.1", localPort, connections, count, PATH), { timeoutMs: 300_000 }),
      "P5 direct",
    );
  const stolen = async (connections: number, count: string) =>
    parseMeasurement(
      await client.exec(keepAliveArgv(session.pod.ip, POD_PORT, connections, count, PATH), {
        timeoutMs: 300_000,
      }),
      "P5 stolen",
    );
  try {
    // Warm-up of both paths, then the measured runs.
    await client.exec(keepAliveArgv(session.pod.ip, POD_PORT, "1", "50", PATH));
    await direct(1, "50");
    const loaded = await alternating(
      runs,
      () => direct(threads, perThread),
      () => stolen(threads, perThread),
    );
    const alone = await alternating(
      runs,
      () => direct(1, sequential),
      () => stolen(1, sequential),
    );
    const p50 = (m: Measurement) => `p50 ${m.p50_ms.toFixed(2)} ms`;
    return [
      {
        id: "P5",
        what: `stolen HTTP keep-alive req/s ÷ direct to the local program (${threads}×${perThread}, median of ${runs})`,
        measured: `${loaded.through.rps.toFixed(0)} req/s, ${p50(loaded.through)}`,
        baseline: `${loaded.direct.rps.toFixed(0)} req/s, ${p50(loaded.direct)}`,
        result: `×${(loaded.through.rps / loaded.direct.rps).toFixed(2)}`,
        goal: "≥ 0.5",
      },
      {
        id: "P5l",
        what: `p50 latency a steal adds to a keep-alive request, one in flight (1×${sequential}, median of ${runs})`,
        measured: p50(alone.through),
        baseline: `${p50(alone.direct)} direct`,
        result: `+${(alone.through.p50_ms - alone.direct.p50_ms).toFixed(2)} ms`,
        goal: "≤ 0.5 ms",
      },
    ];
  } finally {
    await local.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
