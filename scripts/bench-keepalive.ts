/** The keep-alive HTTP load client the steal rows (P5, P5f) share, and what it measures. */

/**
 * `threads` keep-alive connections × `count` sequential GETs of `path`, each with the header
 * `x-bench: <value>` when a value is given; prints requests/s and the p50 latency as JSON.
 * Arguments: host port threads count path [value].
 */
const KEEP_ALIVE_CLIENT = `
import http.client, json, sys, threading, time
host, port, threads, count, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
headers = {"x-bench": sys.argv[6]} if len(sys.argv) > 6 else {}
latencies, lock = [], threading.Lock()
def worker():
    c = http.client.HTTPConnection(host, port, timeout=30)
    mine = []
    for _ in range(count):
        t = time.perf_counter(); c.request("GET", path, headers=headers); c.getresponse().read(); mine.append(time.perf_counter() - t)
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

/** The command line running KEEP_ALIVE_CLIENT (numbers as given, `value` only when set). */
export function keepAliveArgv(
  host: string,
  port: number,
  threads: number | string,
  count: number | string,
  path: string,
  value?: string,
): string[] {
  const argv = ["python3", "-c", KEEP_ALIVE_CLIENT, host, String(port), String(threads), String(count), path];
  return value === undefined ? argv : [...argv, value];
}

export interface Measurement {
  rps: number;
  p50_ms: number;
}

/** The client's JSON line; `what` names the run in the error when the client failed. */
export function parseMeasurement(
  result: { code: number | null; stdout: string; stderr: string },
  what: string,
): Measurement {
  if (result.code !== 0) throw new Error(`${what} client failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Measurement;
}
