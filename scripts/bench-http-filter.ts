/**
 * HTTP-filtered steal rows of scripts/bench.ts (same run, same programs, same client code).
 *   P5f match: keep-alive requests/s a client in another namespace gets for requests the filter steals
 *              (answered by the local program) ÷ the same client hitting that program directly on loopback.
 *   P5f pass:  the same for requests the filter does not match (answered by the pod's app through the
 *              agent) ÷ the client hitting the pod's app directly before the steal starts.
 *   Both with the p50 latency the filtered steal adds.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocal } from "../test/e2e/steal-harness.ts";
import { run } from "../test/support/binary.ts";
import type { PodSession } from "../test/support/pod-session.ts";
import type { Row } from "./bench.ts";
import { keepAliveArgv, type Measurement, parseMeasurement } from "./bench-keepalive.ts";

const POD_PORT = 8080;
/** Where the local program really listens on the laptop (`listen_ports`), so the baseline can reach it. */
const LOCAL_PORT = 38081;
const FILTER = "^x-bench: steal$";
const PATH = "/p5f";

function row(id: string, what: string, through: Measurement, direct: Measurement): Row {
  return {
    id,
    what,
    measured: `${through.rps.toFixed(0)} req/s, p50 ${through.p50_ms.toFixed(2)} ms`,
    baseline: `${direct.rps.toFixed(0)} req/s, p50 ${direct.p50_ms.toFixed(2)} ms`,
    result: `×${(through.rps / direct.rps).toFixed(2)}, +${(through.p50_ms - direct.p50_ms).toFixed(2)} ms`,
    goal: "report",
  };
}

export async function p5f(
  session: PodSession,
  requests = Number(process.env.BENCH_P5F_REQUESTS ?? 2000),
): Promise<Row[]> {
  const threads = 4;
  const perThread = String(Math.ceil(requests / threads));
  const client = await session.cluster.addClient("p5f");
  const fromClient = async (value: string, what: string) =>
    parseMeasurement(
      await client.exec(keepAliveArgv(session.pod.ip, POD_PORT, threads, perThread, PATH, value), {
        timeoutMs: 300_000,
      }),
      `P5f ${what}`,
    );
  // The pod's app straight, before any redirect exists.
  const directToPod = await fromClient("pass", "direct to the pod");
  const scratch = mkdtempSync(join(tmpdir(), "mirrord-bench-p5f-"));
  const local = await startLocal(
    session.agentAddress,
    scratch,
    { mode: "steal", listen_ports: [[POD_PORT, LOCAL_PORT]], http_filter: { header_filter: FILTER } },
    ["http", String(POD_PORT)],
  );
  try {
    await client.exec(keepAliveArgv(session.pod.ip, POD_PORT, "1", "50", PATH, "steal"));
    const directToLocal = parseMeasurement(
      await run(keepAliveArgv("127.0.0.1", LOCAL_PORT, threads, perThread, PATH, "steal"), {
        timeoutMs: 300_000,
      }),
      "P5f direct to the local program",
    );
    const stolen = await fromClient("steal", "matching");
    const passed = await fromClient("pass", "not matching");
    const shape = `(${threads}×${perThread}, header filter)`;
    return [
      row(
        "P5f",
        `filtered steal, matching req/s ÷ direct to the local program ${shape}, added p50`,
        stolen,
        directToLocal,
      ),
      row(
        "P5f",
        `filtered steal, other req/s ÷ direct to the pod's app ${shape}, added p50`,
        passed,
        directToPod,
      ),
    ];
  } finally {
    await local.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
