/**
 * Crash safety of steal: an agent killed with SIGKILL (no cleanup code of it runs) while a port is
 * stolen under load leaves the pod serving its own traffic within 2 s and no redirect behind, with
 * either backend; and when its watchdog dies with it, the next agent sweeps the chain it left.
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
const sim = stealCluster("steal-crash", PORT, unavailable);

/** The steal chains in the pod's nat table, each once (its jump and rules mention it again). */
const iptablesChains = async () => [
  ...new Set((await inPodNetns(sim.pod, ["iptables", "-t", "nat", "-S"])).match(/MRDIN_\S+/g) ?? []),
];
const nftTables = async () =>
  (await inPodNetns(sim.pod, ["nft", "list", "tables"])).match(/mirrord_steal_\d+/g) ?? [];

/** Steals PORT through a new agent, SIGKILLs the agent under load, returns the load's results and the kill time. */
async function killAgentDuringSteal(agentEnv: Record<string, string>, redirects: () => Promise<string[]>) {
  const agent = await startAgent(sim.cluster, sim.pod, nextAgentPort++, agentEnv);
  const local = await startLocal(agent.address, sim.scratch, { mode: "steal" }, ["http", String(PORT)]);
  try {
    expect((await redirects()).length).toBe(1);
    const load = startLoad(sim.cluster, sim.client, sim.pod, PORT, 6);
    await Bun.sleep(2_000);
    const killedAt = Date.now() / 1000;
    process.kill(agent.process.pid, "SIGKILL");
    return { results: await loadResults(load), killedAt };
  } finally {
    await local.stop();
    agent.process.kill("SIGKILL");
  }
}

function expectRecovered(results: { start: number; outcome: string }[], killedAt: number): void {
  expect(results.filter((r) => r.start < killedAt && r.outcome === "local").length).toBeGreaterThan(10);
  const recovered = results.filter((r) => r.start >= killedAt + RECOVERY_S);
  expect(recovered.length).toBeGreaterThan(10);
  expect(recovered.filter((r) => r.outcome !== "cluster")).toEqual([]);
}

describe.skipIf(unavailable !== undefined)("steal crash safety", () => {
  test("iptables: SIGKILL of the agent under load, the pod's app answers within 2 s and no chain is left", async () => {
    const { results, killedAt } = await killAgentDuringSteal({}, iptablesChains);
    expectRecovered(results, killedAt);
    expect(await iptablesChains()).toEqual([]);
  }, 90_000);

  test("nftables: SIGKILL of the agent under load, the pod's app answers within 2 s and the table is gone", async () => {
    const { results, killedAt } = await killAgentDuringSteal({ MIRRORD_AGENT_NFTABLES: "true" }, nftTables);
    expectRecovered(results, killedAt);
    expect(await nftTables()).toEqual([]);
  }, 90_000);

  test("a chain left by an agent that died with its watchdog is swept by the next agent", async () => {
    const agent = await startAgent(sim.cluster, sim.pod, nextAgentPort++);
    const local = await startLocal(agent.address, sim.scratch, { mode: "steal" }, ["http", String(PORT)]);
    try {
      const [chain] = await iptablesChains();
      expect(chain).toStartWith(`MRDIN_${agent.process.pid}_`);
      // The whole pod going down: the agent and its watchdog die together.
      const watchdogs = (await inPodNetns(sim.pod, ["pgrep", "-f", `MRDIN_${agent.process.pid}_`]))
        .trim()
        .split("\n");
      for (const pid of [agent.process.pid, ...watchdogs.map(Number)]) process.kill(pid, "SIGKILL");
      await Bun.sleep(500);
      expect(await iptablesChains()).toEqual([chain as string]);
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
