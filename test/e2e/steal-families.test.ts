/**
 * Steal over IPv6 and over the pod's own loopback, with both backends: a client reaching the pod's IPv6
 * address (curl -6, raw TCP) and a process inside the pod talking to 127.0.0.1 / [::1] get the local
 * program's answers while it runs and the pod app's after; the agent's own connections to the pod's app
 * (kubelet probes, requests an HTTP filter does not match, connections caught while a steal stops) reach
 * the app instead of looping back into the steal.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { simulatorUnavailableReason } from "../simulator/index.ts";
import {
  type LocalProgram,
  loadResults,
  rawExchange,
  type StartedAgent,
  startAgent,
  startLocal,
  stealCluster,
} from "./steal-harness.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING IPv6 / loopback steal tests: ${unavailable}`);
const PORT = 18673;
const RAW_PORT = 19477;
const LOAD = join(import.meta.dir, "programs", "net_in_load.py");

let nextAgentPort = 61500;
const sim = stealCluster("steal-families", PORT, unavailable, { dualStack: true });

const BACKENDS: { name: string; env: Record<string, string> }[] = [
  { name: "iptables", env: {} },
  { name: "nftables", env: { MIRRORD_AGENT_NFTABLES: "true" } },
];

async function curl(
  where: "client" | "pod",
  url: string,
  ...extra: string[]
): Promise<Record<string, unknown>> {
  const from = where === "client" ? sim.client : sim.pod;
  const result = await from.exec(["curl", "-sS", "--max-time", "10", ...extra, url]);
  if (result.code !== 0) throw new Error(`curl ${url} from the ${where} failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

async function withAgent(env: Record<string, string>, body: (agent: StartedAgent) => Promise<void>) {
  const agent = await startAgent(sim.cluster, sim.pod, nextAgentPort++, env);
  try {
    await body(agent);
  } finally {
    agent.process.kill("SIGKILL");
  }
}

async function withLocal(agent: StartedAgent, incoming: unknown, args: string[], body: () => Promise<void>) {
  const local: LocalProgram = await startLocal(agent.address, sim.scratch, incoming, args);
  try {
    await body();
  } finally {
    await local.stop();
  }
}

const v6Url = (path: string) => `http://[${sim.pod.ipv6}]:${PORT}${path}`;

describe.skipIf(unavailable !== undefined)("steal over IPv6 and the pod's loopback", () => {
  for (const backend of BACKENDS) {
    test(`${backend.name}: IPv6 clients (curl -6, raw TCP) are stolen, the program sees their v6 address`, async () => {
      await withAgent(backend.env, async (agent) => {
        const steal = { mode: "steal" };
        await withLocal(agent, steal, ["http", String(PORT), "::"], async () => {
          await withLocal(agent, steal, ["tcp", String(RAW_PORT), "::"], async () => {
            const stolen = await curl("client", v6Url("/v6"), "-6", "-d", "hi");
            expect(stolen).toMatchObject({ side: "local", path: "/v6", body_bytes: 2 });
            expect((stolen.peername as string[])[0]).toBe(sim.client.ipv6);
            expect(await rawExchange(sim.client, sim.pod.ipv6, RAW_PORT, "ping6")).toBe("local:ping6");
            // IPv4 in the same run, and a kubelet probe over IPv6 still reaching the pod's app.
            const v4 = await curl("client", `http://${sim.pod.ip}:${PORT}/v4`);
            expect(v4).toMatchObject({ side: "local", path: "/v4" });
            expect((v4.peername as string[])[0]).toEndWith(sim.client.ip);
            expect(await curl("client", v6Url("/healthz"), "-A", "kube-probe/1.29")).toMatchObject({
              mode: "cluster",
            });
          });
        });
        expect(await curl("client", v6Url("/after"), "-6")).toMatchObject({
          mode: "cluster",
          path: "/after",
        });
      });
    }, 90_000);

    test(`${backend.name}: a process in the pod talking to 127.0.0.1 or [::1] is stolen, probes are not looped back`, async () => {
      await withAgent(backend.env, async (agent) => {
        await withLocal(agent, { mode: "steal" }, ["http", String(PORT), "::"], async () => {
          expect(await curl("pod", `http://127.0.0.1:${PORT}/lo4`)).toMatchObject({
            side: "local",
            path: "/lo4",
          });
          expect(await curl("pod", `http://[::1]:${PORT}/lo6`)).toMatchObject({
            side: "local",
            path: "/lo6",
          });
          // The agent passes these on to 127.0.0.1 / the pod IP: its own connection must reach the app.
          const probe = ["-A", "kube-probe/1.29"];
          expect(await curl("pod", `http://127.0.0.1:${PORT}/healthz`, ...probe)).toMatchObject({
            mode: "cluster",
          });
          expect(await curl("client", `http://${sim.pod.ip}:${PORT}/healthz`, ...probe)).toMatchObject({
            mode: "cluster",
          });
        });
        expect(await curl("pod", `http://127.0.0.1:${PORT}/after`)).toMatchObject({ mode: "cluster" });
        expect(await curl("pod", `http://[::1]:${PORT}/after`)).toMatchObject({ mode: "cluster" });
      });
    }, 90_000);
  }

  test("HTTP filter over loopback: matching requests are stolen, the others reach the pod's app", async () => {
    await withAgent({}, async (agent) => {
      const incoming = { mode: "steal", http_filter: { header_filter: "^x-user: alice$" } };
      await withLocal(agent, incoming, ["http", String(PORT), "::"], async () => {
        const url = `http://127.0.0.1:${PORT}/filtered`;
        expect(await curl("pod", url, "-H", "x-user: alice")).toMatchObject({ side: "local" });
        expect(await curl("pod", url, "-H", "x-user: bob")).toMatchObject({ mode: "cluster" });
        expect(await curl("pod", `http://[::1]:${PORT}/filtered`, "-H", "x-user: bob")).toMatchObject({
          mode: "cluster",
        });
      });
    });
  }, 90_000);

  test("ending mirrord exec under loopback load: connections caught meanwhile reach the pod's app", async () => {
    await withAgent({}, async (agent) => {
      const local = await startLocal(agent.address, sim.scratch, { mode: "steal" }, [
        "http",
        String(PORT),
        "::",
      ]);
      const load = sim.cluster.spawnInPodNetns(sim.pod, [
        "python3",
        LOAD,
        "127.0.0.1",
        String(PORT),
        "6",
        "8",
      ]);
      let stopBegan = 0;
      try {
        await Bun.sleep(2_000);
        stopBegan = Date.now() / 1000;
      } finally {
        await local.stop();
      }
      const results = await loadResults(load);
      expect(results.filter((r) => r.start < stopBegan && r.outcome === "local").length).toBeGreaterThan(10);
      const after = results.filter((r) => r.start >= stopBegan);
      expect(after.length).toBeGreaterThan(10);
      expect(after.filter((r) => r.outcome !== "cluster" && r.outcome !== "local")).toEqual([]);
      expect(after.filter((r) => r.start > stopBegan + 1 && r.outcome !== "cluster")).toEqual([]);
    });
  }, 90_000);
});
