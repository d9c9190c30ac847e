/**
 * `agent.flush_connections`: a keep-alive connection the pod's app was already serving when the steal
 * began is cut (its client reconnects into the steal) by default, and keeps going to the pod's app when
 * the flush is off; new connections are stolen either way.
 */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { simulatorUnavailableReason } from "../simulator/index.ts";
import { startAgent, startLocal, stealCluster } from "./steal-harness.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING steal flush tests: ${unavailable}`);
const PORT = 18673;
const KEEPALIVE = join(import.meta.dir, "programs", "net_in_keepalive.py");

let nextAgentPort = 61450;
const sim = stealCluster("steal-flush", PORT, unavailable, { dualStack: true });

/** Who answered each request of net_in_keepalive.py when a steal starts between its first two requests. */
async function keepAliveAcrossSteal(
  agentEnv: Record<string, string>,
  host = sim.pod.ip,
): Promise<Record<string, string>> {
  const agent = await startAgent(sim.cluster, sim.pod, nextAgentPort++, agentEnv);
  const go = join(sim.scratch, `go-${nextAgentPort}`);
  // A steal already running on another port: NAT is in use in the pod before the keep-alive connection
  // starts (a flow that began before any NAT hook existed gets NAT set up on its next packet, i.e. it
  // would be redirected whatever flush_connections says).
  const other = await startLocal(agent.address, sim.scratch, { mode: "steal" }, ["http", String(PORT + 1)]);
  const keepalive = sim.cluster.spawnInPodNetns(sim.client, ["python3", KEEPALIVE, host, String(PORT), go]);
  try {
    await keepalive.waitForStdout(/first=\w+/, "first request", 20_000);
    const local = await startLocal(agent.address, sim.scratch, { mode: "steal" }, ["http", String(PORT)]);
    try {
      writeFileSync(go, "");
      await keepalive.exited;
    } finally {
      await local.stop();
    }
    return Object.fromEntries(
      keepalive
        .stdout()
        .trim()
        .split("\n")
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
  } finally {
    keepalive.kill("SIGKILL");
    await other.stop();
    agent.process.kill("SIGKILL");
  }
}

describe.skipIf(unavailable !== undefined)("steal flush_connections", () => {
  test("by default an established keep-alive connection to the pod is cut when the steal starts", async () => {
    const answers = await keepAliveAcrossSteal({});
    expect(answers.first).toBe("cluster");
    expect(answers["same connection"]).toStartWith("failed:");
    expect(answers["new connection"]).toBe("local");
  }, 60_000);

  test("an established IPv6 keep-alive connection is cut too", async () => {
    const answers = await keepAliveAcrossSteal({}, sim.pod.ipv6);
    expect(answers.first).toBe("cluster");
    expect(answers["same connection"]).toStartWith("failed:");
    expect(answers["new connection"]).toBe("local");
  }, 60_000);

  test("with flush_connections off it keeps being served by the pod's app", async () => {
    const answers = await keepAliveAcrossSteal({ MIRRORD_AGENT_STEALER_FLUSH_CONNECTIONS: "false" });
    expect(answers).toEqual({ first: "cluster", "same connection": "cluster", "new connection": "local" });
  }, 60_000);
});
