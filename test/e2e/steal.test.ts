/**
 * Steal end to end: a client in another namespace talks to the pod's IP; under `mirrord exec` with
 * `incoming.mode = steal` the local program answers instead of the pod's app, sees the client's address,
 * and the pod gets its traffic back as soon as the program stops.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Pod, sampleApps, simulatorUnavailableReason } from "../simulator/index.ts";
import { type PodSession, startPodSession } from "../support/pod-session.ts";
import {
  type LocalProgram,
  loadResults,
  rawExchange,
  startLoad,
  startLocal as startLocalUnder,
} from "./steal-harness.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING steal end-to-end tests: ${unavailable}`);
/** Ports unlikely to be taken on the laptop, where the local program really listens. */
const HTTP_PORT = 18473;
const RAW_PORT = 19377;

let session: PodSession;
let client: Pod;
let scratch: string;

beforeAll(async () => {
  if (unavailable) return;
  scratch = mkdtempSync(join(tmpdir(), "mirrord-steal-test-"));
  session = await startPodSession("steal", {
    name: "api",
    env: { APP_MODE: "cluster" },
    app: sampleApps.httpEcho(HTTP_PORT),
    ports: [HTTP_PORT],
  });
  client = await session.cluster.addClient("c1");
}, 60_000);

afterAll(async () => {
  await session?.destroy();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function startLocal(incoming: unknown, args: string[]): Promise<LocalProgram> {
  return startLocalUnder(session.agentAddress, scratch, incoming, args);
}

/** The JSON answer of a request made from the laptop itself (to the program's real local port). */
async function fetchLocally(port: number): Promise<Record<string, unknown>> {
  const response = await fetch(`http://127.0.0.1:${port}/direct`, { signal: AbortSignal.timeout(10_000) });
  return (await response.json()) as Record<string, unknown>;
}

async function curlFromClient(url: string, ...extra: string[]): Promise<Record<string, unknown>> {
  const result = await client.exec(["curl", "-sS", "--max-time", "10", ...extra, url]);
  if (result.code !== 0) throw new Error(`curl ${url} failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

describe.skipIf(unavailable !== undefined)("steal", () => {
  test("an HTTP request to the pod is answered by the local program, which sees the client's address", async () => {
    const before = await curlFromClient(`http://${session.pod.ip}:${HTTP_PORT}/before`);
    expect(before.mode).toBe("cluster");
    const local = await startLocal({ mode: "steal" }, ["http", String(HTTP_PORT)]);
    try {
      const stolen = await curlFromClient(`http://${session.pod.ip}:${HTTP_PORT}/stolen`, "-d", "hello");
      expect(stolen).toMatchObject({ side: "local", method: "POST", path: "/stolen", body_bytes: 5 });
      expect((stolen.peer as string[])[0]).toBe(client.ip);
      expect((stolen.peername as string[])[0]).toBe(client.ip);
      expect(stolen.sockname).toEqual([session.pod.ip, HTTP_PORT]);
    } finally {
      await local.stop();
    }
    const after = await curlFromClient(`http://${session.pod.ip}:${HTTP_PORT}/after`);
    expect(after.mode).toBe("cluster");
  }, 60_000);

  test("kubelet probes (User-Agent: kube-probe) still reach the pod's app while the port is stolen", async () => {
    const local = await startLocal({ mode: "steal" }, ["http", String(HTTP_PORT)]);
    try {
      const url = `http://${session.pod.ip}:${HTTP_PORT}/healthz`;
      expect(await curlFromClient(url, "-A", "kube-probe/1.29")).toMatchObject({
        mode: "cluster",
        path: "/healthz",
      });
      expect(await curlFromClient(url)).toMatchObject({ side: "local", path: "/healthz" });
    } finally {
      await local.stop();
    }
  }, 60_000);

  test("raw TCP to a port nothing in the pod listens on is answered by the local program", async () => {
    const local = await startLocal({ mode: "steal" }, ["tcp", String(RAW_PORT)]);
    try {
      expect(await rawExchange(client, session.pod.ip, RAW_PORT, "ping")).toBe("local:ping");
    } finally {
      await local.stop();
    }
  }, 60_000);

  test("port_mapping: a program on another local port takes the mapped pod port", async () => {
    const localPort = HTTP_PORT + 1;
    const local = await startLocal({ mode: "steal", port_mapping: [[localPort, HTTP_PORT]] }, [
      "http",
      String(localPort),
    ]);
    try {
      const stolen = await curlFromClient(`http://${session.pod.ip}:${HTTP_PORT}/mapped`);
      expect(stolen).toMatchObject({ side: "local", path: "/mapped" });
    } finally {
      await local.stop();
    }
  }, 60_000);

  test("listen_ports: the program really listens on the mapped local port and still gets the stolen traffic", async () => {
    const actual = HTTP_PORT + 2;
    const local = await startLocal({ mode: "steal", listen_ports: [[HTTP_PORT, actual]] }, [
      "http",
      String(HTTP_PORT),
    ]);
    try {
      expect(await fetchLocally(actual)).toMatchObject({ side: "local", path: "/direct" });
      expect(await curlFromClient(`http://${session.pod.ip}:${HTTP_PORT}/via-pod`)).toMatchObject({
        side: "local",
        path: "/via-pod",
      });
    } finally {
      await local.stop();
    }
  }, 60_000);

  test("ignore_ports and ports: a port left out stays local and the pod keeps its traffic", async () => {
    for (const incoming of [
      { mode: "steal", ignore_ports: [HTTP_PORT] },
      { mode: "steal", ports: [RAW_PORT] },
    ]) {
      const local = await startLocal(incoming, ["http", String(HTTP_PORT)]);
      try {
        expect(await fetchLocally(HTTP_PORT)).toMatchObject({ side: "local" });
        expect(await curlFromClient(`http://${session.pod.ip}:${HTTP_PORT}/kept`)).toMatchObject({
          mode: "cluster",
        });
      } finally {
        await local.stop();
      }
    }
  }, 60_000);

  test("ending mirrord exec under load: every connection opened after the stop began reaches the pod's app", async () => {
    const local = await startLocal({ mode: "steal" }, ["http", String(HTTP_PORT)]);
    const load = startLoad(session.cluster, client, session.pod, HTTP_PORT, 6);
    let stopBegan = 0;
    try {
      await Bun.sleep(2_000);
      stopBegan = Date.now() / 1000;
      await local.stop();
    } finally {
      await local.stop();
    }
    const results = await loadResults(load);
    const before = results.filter((r) => r.start < stopBegan);
    const after = results.filter((r) => r.start >= stopBegan);
    expect(before.filter((r) => r.outcome === "local").length).toBeGreaterThan(10);
    expect(after.length).toBeGreaterThan(10);
    expect(after.filter((r) => r.outcome !== "cluster" && r.outcome !== "local")).toEqual([]);
    expect(after.filter((r) => r.start > stopBegan + 1 && r.outcome !== "cluster")).toEqual([]);
  }, 90_000);
});
