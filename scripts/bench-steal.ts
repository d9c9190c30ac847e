/**
 * Steal row of scripts/bench.ts.
 *   P5: HTTP keep-alive requests/s a client in another namespace gets from the local program through a
 *       steal of the pod's port ÷ the same client code hitting the same program directly on loopback,
 *       plus the p50 latency the steal adds (same run, same program).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocal } from "../test/e2e/steal-harness.ts";
import { run } from "../test/support/binary.ts";
import type { PodSession } from "../test/support/pod-session.ts";
import type { Row } from "./bench.ts";
import { keepAliveArgv, parseMeasurement } from "./bench-keepalive.ts";

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

export async function p5(
  session: PodSession,
  requests = Number(process.env.BENCH_P5_REQUESTS ?? 2000),
): Promise<Row> {
  const threads = 4;
  const perThread = String(Math.ceil(requests / threads));
  const client = await session.cluster.addClient("p5");
  const scratch = mkdtempSync(join(tmpdir(), "mirrord-bench-p5-"));
  const localPort = await freePort();
  const local = await startLocal(
    session.agentAddress,
    scratch,
    { mode: "steal", listen_ports: [[POD_PORT, localPort]] },
    ["http", String(POD_PORT)],
  );
  try {
    // Warm-up of both paths, then the measured runs.
    await client.exec(keepAliveArgv(session.pod.ip, POD_PORT, "1", "50", PATH));
    const direct = parseMeasurement(
      await run(keepAliveArgv("127.0.0.1", localPort, threads, perThread, PATH), {
        timeoutMs: 300_000,
      }),
      "P5 direct",
    );
    const stolen = parseMeasurement(
      await client.exec(keepAliveArgv(session.pod.ip, POD_PORT, threads, perThread, PATH), {
        timeoutMs: 300_000,
      }),
      "P5 stolen",
    );
    return {
      id: "P5",
      what: `stolen HTTP keep-alive req/s ÷ direct to the local program (${threads}×${perThread}), added p50`,
      measured: `${stolen.rps.toFixed(0)} req/s, p50 ${stolen.p50_ms.toFixed(2)} ms`,
      baseline: `${direct.rps.toFixed(0)} req/s, p50 ${direct.p50_ms.toFixed(2)} ms`,
      result: `×${(stolen.rps / direct.rps).toFixed(2)}, +${(stolen.p50_ms - direct.p50_ms).toFixed(2)} ms`,
      goal: "≥ 0.5, ≤ 0.5 ms",
    };
  } finally {
    await local.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
