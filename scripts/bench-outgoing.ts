/**
 * Outgoing rows of scripts/bench.ts.
 *   P4: bytes/s a program on the laptop receives from a cluster-only service through mirrord ÷ the same
 *       client run directly inside the pod's network namespace (same run, same server).
 *   P4f: the same transfer through the simulator's port-forward alone, which every mirrord byte also
 *       crosses (socat moving 64 KiB per write), with a socat in the pod standing in for the agent: what P4
 *       can reach at best on this machine.
 *   P4c: the agent's CPU time per MiB it relayed in P4 ÷ that of the socat standing in for it in P4f (a
 *       plain byte relay): steadier than throughput on a loaded machine.
 *   P8: peak RSS (VmHWM) of a fresh agent that served only P4; baseline: the same agent's peak before it
 *       served anything.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mirrordBinary, run } from "../test/support/binary.ts";
import type { PodSession } from "../test/support/pod-session.ts";
import type { Row } from "./bench.ts";
import { median } from "./bench-stats.ts";

const BULK_PORT = 7070;
const BULK_AGENT_PORT = 61338;
const BULK_RELAY_PORT = 7071;

/** A server sending `mib` MiB to every connection, then closing it. */
const BULK_SERVER = `
import socket, sys, threading
port, mib = int(sys.argv[1]), int(sys.argv[2])
block = b"x" * (1 << 20)
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port)); s.listen(64)
print("bulk listening", flush=True)
def serve(c):
    for _ in range(mib): c.sendall(block)
    c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
`;

function throughput(stdout: string, what: string): number {
  const match = /bytes=(\d+) seconds=([\d.]+)/.exec(stdout);
  if (!match) throw new Error(`${what}: no measurement in ${JSON.stringify(stdout)}`);
  return Number(match[1]) / Number(match[2]);
}

/** Linux reports CPU times in USER_HZ ticks, 100 per second on every architecture it runs on. */
const TICKS_PER_SECOND = 100;

/** CPU milliseconds (user + system) `pid` used, plus those of its children it reaped when `reaped`. */
function cpuMs(pid: number, reaped: boolean): number {
  // The fields after the command name (which may hold spaces): state is 3, utime 14 ... cstime 17.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(")").at(-1)?.trim().split(" ") ?? [];
  const ticks = (from: number, to: number) =>
    fields.slice(from - 3, to - 2).reduce((sum, field) => sum + Number(field), 0);
  return ((ticks(14, 15) + (reaped ? ticks(16, 17) : 0)) * 1000) / TICKS_PER_SECOND;
}

const mibPerSecond = (bytesPerSecond: number) => `${(bytesPerSecond / (1 << 20)).toFixed(0)} MiB/s`;

function peakRssKib(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
}

export async function outgoingRows(session: PodSession, runs: number): Promise<Row[]> {
  const mib = Number(process.env.BENCH_P4_MIB ?? 512);
  const work = mkdtempSync(join(tmpdir(), "mirrord-bench-out-"));
  const client = join(work, "net_out_bulk");
  const built = await run([
    "gcc",
    "-O2",
    "-o",
    client,
    join(import.meta.dir, "..", "test/e2e/programs/net_out_bulk.c"),
  ]);
  if (built.code !== 0) throw new Error(`gcc net_out_bulk.c failed: ${built.stderr}`);
  const service = await session.cluster.addService({
    name: "bulk",
    port: BULK_PORT,
    app: ["python3", "-c", BULK_SERVER, String(BULK_PORT), String(mib)],
  });
  const agent = session.cluster.spawnInPodNetns(session.pod, [
    mirrordBinary(),
    "agent",
    "--communicate-port",
    String(BULK_AGENT_PORT),
    "-t",
    "60",
    "targeted",
    "--pid",
    String(session.pod.appPid),
  ]);
  // The same bytes through the simulator's port-forward alone: the ceiling of any agent behind it.
  const relay = session.cluster.spawnInPodNetns(session.pod, [
    "socat",
    "-b",
    String(64 << 10),
    `TCP-LISTEN:${BULK_RELAY_PORT},fork,reuseaddr`,
    `TCP:${service.ip}:${BULK_PORT}`,
  ]);
  try {
    await agent.waitForStdout(/agent ready/, "the P4 agent", 15_000);
    const idlePeak = peakRssKib(agent.pid) / 1024;
    const [agentCpuBefore, relayCpuBefore] = [cpuMs(agent.pid, false), cpuMs(relay.pid, true)];
    const forward = await session.cluster.forward(session.pod, BULK_AGENT_PORT);
    const env = {
      ...(process.env as Record<string, string>),
      MIRRORD_CONNECT_TCP: `${forward.host}:${forward.port}`,
      MIRRORD_PROGRESS_MODE: "off",
    };
    const relayForward = await session.cluster.forward(session.pod, BULK_RELAY_PORT);
    const direct: number[] = [];
    const through: number[] = [];
    const forwardOnly: number[] = [];
    for (let i = 0; i < runs; i++) {
      const inPod = await run([
        "nsenter",
        `--net=${session.pod.netnsPath}`,
        "--",
        client,
        service.ip,
        String(BULK_PORT),
      ]);
      direct.push(throughput(inPod.stdout, "direct run"));
      const viaMirrord = await run([mirrordBinary(), "exec", "--", client, service.ip, String(BULK_PORT)], {
        env,
        timeoutMs: 300_000,
      });
      through.push(throughput(viaMirrord.stdout, `mirrord run: ${viaMirrord.stderr}`));
      const relayed = await run([client, relayForward.host, String(relayForward.port)], {
        timeoutMs: 300_000,
      });
      forwardOnly.push(throughput(relayed.stdout, "port-forward run"));
    }
    const ratio = median(through) / median(direct);
    const peak = peakRssKib(agent.pid) / 1024;
    const relayedMib = runs * mib;
    const agentCpu = (cpuMs(agent.pid, false) - agentCpuBefore) / relayedMib;
    const relayCpu = (cpuMs(relay.pid, true) - relayCpuBefore) / relayedMib;
    return [
      {
        id: "P4",
        what: `outgoing TCP bulk receive, ${mib} MiB from a cluster-only service (median of ${runs})`,
        measured: mibPerSecond(median(through)),
        baseline: `${mibPerSecond(median(direct))} in the pod`,
        result: `×${ratio.toFixed(2)}`,
        goal: "≥ 0.5",
      },
      {
        id: "P4f",
        what: "the same transfer through the port-forward alone (no mirrord): P4's ceiling here",
        measured: mibPerSecond(median(forwardOnly)),
        baseline: `${mibPerSecond(median(direct))} in the pod`,
        result: `×${(median(forwardOnly) / median(direct)).toFixed(2)}; mirrord ÷ forward ×${(median(through) / median(forwardOnly)).toFixed(2)}`,
        goal: "report",
      },
      {
        id: "P4c",
        what: "agent CPU time per MiB relayed in P4 ÷ the socat relay's in P4f",
        measured: `${agentCpu.toFixed(2)} ms/MiB`,
        baseline: `${relayCpu.toFixed(2)} ms/MiB socat`,
        result: `×${(agentCpu / relayCpu).toFixed(2)}`,
        goal: "report",
      },
      {
        id: "P8",
        what: "agent peak RSS (VmHWM) while serving P4",
        measured: `${peak.toFixed(1)} MiB`,
        baseline: `${idlePeak.toFixed(1)} MiB idle`,
        result: `${peak.toFixed(1)} MiB`,
        goal: "≤ 64 MiB",
      },
    ];
  } finally {
    await Promise.all([agent.stop(1_000), relay.stop(1_000)]);
    rmSync(work, { recursive: true, force: true });
  }
}
