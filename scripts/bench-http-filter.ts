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

const POD_PORT = 8080;
/** Where the local program really listens on the laptop (`listen_ports`), so the baseline can reach it. */
const LOCAL_PORT = 38081;
const FILTER = "^x-bench: steal$";

/** `threads` keep-alive connections × `count` sequential GETs with header `x-bench: <value>`; req/s and p50. */
const CLIENT = `
import http.client, json, sys, threading, time
host, port, threads, count, value = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
latencies, lock = [], threading.Lock()
def worker():
    c = http.client.HTTPConnection(host, port, timeout=30)
    mine = []
    for _ in range(count):
        t = time.perf_counter(); c.request("GET", "/p5f", headers={"x-bench": value}); c.getresponse().read(); mine.append(time.perf_counter() - t)
    c.close()
    with lock: latencies.extend(mine)
start = time.perf_counter()
ts = [threading.Thread(target=worker) for _ in range(threads)]
for t in ts: t.start()
for t in ts: t.join()
seconds = time.perf_counter() - start
latencies.sort()
print(json.dumps({"rps": len(latencies) / seconds, "p50_ms": latencies[len(latencies) // 2] * 1000}))
`;

interface Measurement {
  rps: number;
  p50_ms: number;
}

function parse(result: { code: number | null; stdout: string; stderr: string }, what: string): Measurement {
  if (result.code !== 0) throw new Error(`P5f ${what} client failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Measurement;
}

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
    parse(
      await client.exec(
        ["python3", "-c", CLIENT, session.pod.ip, String(POD_PORT), String(threads), perThread, value],
        { timeoutMs: 300_000 },
      ),
      what,
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
    await client.exec(["python3", "-c", CLIENT, session.pod.ip, String(POD_PORT), "1", "50", "steal"]);
    const directToLocal = parse(
      await run(
        ["python3", "-c", CLIENT, "127.0.0.1", String(LOCAL_PORT), String(threads), perThread, "steal"],
        {
          timeoutMs: 300_000,
        },
      ),
      "direct to the local program",
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
