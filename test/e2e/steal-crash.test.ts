/**
 * Crash safety of steal: an agent killed with SIGKILL (no cleanup code of it runs) while a port is
 * stolen under load leaves the pod serving its own traffic within 2 s and no redirect behind, IPv4 or
 * IPv6, with either backend; and when its watchdogs die with it, the next agent sweeps the chains it left.
 */
import { describe, expect, test } from "bun:test";
import { simulatorUnavailableReason } from "../simulator/index.ts";
import { inPodNetns, loadResults, startAgent, startLoad, startLocal, stealCluster } from "./steal-harness.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING steal crash-safety tests: ${unavailable}`);
const PORT = 18573;
/** The pod's app answers again within this long after the agent died. */
const RECOVERY_S = 2;

let nextAgentPort = 61400;
const sim = stealCluster("steal-crash", PORT, unavailable, { dualStack: true });

/** The steal chains in the pod's IPv4 and IPv6 nat tables, each once (jumps and rules mention it again). */
async function iptablesChains(): Promise<string[]> {
  const chains: string[] = [];
  for (const tool of ["iptables", "ip6tables"]) {
    const listing = await inPodNetns(sim.pod, [tool, "-t", "nat", "-S"]);
    chains.push(...new Set((listing.match(/MRD(IN|STD)_\S+/g) ?? []).map((chain) => `${tool} ${chain}`)));
  }
  return chains;
}
/** Per family: the chain of traffic from outside (PREROUTING) and of the pod's loopback (OUTPUT). */
const CHAINS_PER_AGENT = 4;
const nftTables = async () =>
  (await inPodNetns(sim.pod, ["nft", "list", "tables"])).match(/mirrord_steal_\d+/g) ?? [];

/**
 * Steals PORT through a new agent, SIGKILLs the agent under IPv4 and IPv6 load, returns each load's results
 * and the kill time.
 */
async function killAgentDuringSteal(
  agentEnv: Record<string, string>,
  redirects: () => Promise<string[]>,
  expected: number,
) {
  const agent = await startAgent(sim.cluster, sim.pod, nextAgentPort++, agentEnv);
  const local = await startLocal(agent.address, sim.scratch, { mode: "steal" }, ["http", String(PORT), "::"]);
  try {
    expect((await redirects()).length).toBe(expected);
    const loads = [sim.pod.ip, sim.pod.ipv6].map((address) =>
      startLoad(sim.cluster, sim.client, sim.pod, PORT, 6, address),
    );
    await Bun.sleep(2_000);
    const killedAt = Date.now() / 1000;
    process.kill(agent.process.pid, "SIGKILL");
    return { results: await Promise.all(loads.map(loadResults)), killedAt };
  } finally {
    await local.stop();
    agent.process.kill("SIGKILL");
  }
}

function expectRecovered(loads: { start: number; outcome: string }[][], killedAt: number): void {
  for (const results of loads) {
    expect(results.filter((r) => r.start < killedAt && r.outcome === "local").length).toBeGreaterThan(10);
    const recovered = results.filter((r) => r.start >= killedAt + RECOVERY_S);
    expect(recovered.length).toBeGreaterThan(10);
    expect(recovered.filter((r) => r.outcome !== "cluster")).toEqual([]);
  }
}

describe.skipIf(unavailable !== undefined)("steal crash safety", () => {
  test("iptables: SIGKILL of the agent under load, the pod's app answers within 2 s and no chain is left", async () => {
    const { results, killedAt } = await killAgentDuringSteal({}, iptablesChains, CHAINS_PER_AGENT);
    expectRecovered(results, killedAt);
    expect(await iptablesChains()).toEqual([]);
  }, 90_000);

  test("nftables: SIGKILL of the agent under load, the pod's app answers within 2 s and the table is gone", async () => {
    const { results, killedAt } = await killAgentDuringSteal(
      { MIRRORD_AGENT_NFTABLES: "true" },
      nftTables,
      1,
    );
    expectRecovered(results, killedAt);
    expect(await nftTables()).toEqual([]);
  }, 90_000);

  test("a chain left by an agent that died with its watchdog is swept by the next agent", async () => {
    const agent = await startAgent(sim.cluster, sim.pod, nextAgentPort++);
    const local = await startLocal(agent.address, sim.scratch, { mode: "steal" }, ["http", String(PORT)]);
    try {
      const chains = await iptablesChains();
      expect(chains.length).toBe(CHAINS_PER_AGENT);
      for (const chain of chains)
        expect(chain).toMatch(new RegExp(`^ip6?tables MRD(IN|STD)_${agent.process.pid}_`));
      // The whole pod going down: the agent and its watchdog die together.
      const watchdogs = (await inPodNetns(sim.pod, ["pgrep", "-f", `MRDIN_${agent.process.pid}_`]))
        .trim()
        .split("\n");
      for (const pid of [agent.process.pid, ...watchdogs.map(Number)]) process.kill(pid, "SIGKILL");
      await Bun.sleep(500);
      expect(await iptablesChains()).toEqual(chains);
    } finally {
      await local.stop();
      agent.process.kill("SIGKILL");
    }
    const next = await startAgent(sim.cluster, sim.pod, nextAgentPort++);
    try {
      expect(await iptablesChains()).toEqual([]);
      const answer = await sim.client.exec([
        "curl",
        "-sS",
        "--max-time",
        "10",
        `http://${sim.pod.ip}:${PORT}/`,
      ]);
      expect(JSON.parse(answer.stdout)).toMatchObject({ mode: "cluster" });
    } finally {
      next.process.kill("SIGKILL");
    }
  }, 90_000);
});
