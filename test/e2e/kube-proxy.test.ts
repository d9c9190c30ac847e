/**
 * `mirrord exec` reaching the Kubernetes API through an HTTP proxy: the kubeconfig's `proxy-url`, or
 * HTTPS_PROXY, carries both the API calls and the agent's port-forward WebSocket; `use_proxy: false` and
 * NO_PROXY go direct. The kubeconfig names `127.0.0.1:1`, where nothing listens: only the proxy knows the
 * API server's real port, so a run succeeds only if every connection went through it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_AGENT_IMAGE } from "../../src/config/agent.ts";
import { type KubeApi, kubeconfigText, startKubeApi } from "../kube-api/index.ts";
import { Cluster, sampleApps, simulatorUnavailableReason } from "../simulator/index.ts";
import { mirrordBinary, type RunResult, run } from "../support/binary.ts";
import { type ConnectProxy, startConnectProxy } from "../support/connect-proxy.ts";
import { compileProgram } from "../support/programs.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING kube proxy end-to-end tests: ${unavailable}`);
const POD_NAME = "api-proxy-5f6b";
const UNREACHABLE_SERVER = "https://127.0.0.1:1";

let cluster: Cluster;
let kube: KubeApi;
let proxy: ConnectProxy;
let dir: string;

beforeAll(async () => {
  if (unavailable) return;
  dir = mkdtempSync(join(tmpdir(), "mirrord-kube-proxy-test-"));
  await compileProgram("identity", dir);
  cluster = await Cluster.create({ name: "kproxy" });
  kube = await startKubeApi({ cluster, mirrord: mirrordBinary(), images: [DEFAULT_AGENT_IMAGE] });
  const pod = await cluster.addPod({
    name: "api",
    hostname: POD_NAME,
    env: { APP_MODE: "behind-proxy" },
    app: sampleApps.httpEcho(8080),
    ports: [8080],
  });
  kube.addPod(pod, { name: POD_NAME, labels: { app: "api" }, containers: [{ name: "app" }] });
  const apiPort = Number(new URL(kube.url).port);
  proxy = await startConnectProxy((asked) =>
    asked.port === 1 ? { host: "127.0.0.1", port: apiPort } : asked,
  );
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  await kube?.stop();
  await cluster?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function kubeconfig(server: string, proxyUrl?: string): string {
  const config = JSON.parse(kubeconfigText({ url: server, caPem: kube.caPem, token: kube.token }));
  if (proxyUrl) config.clusters[0].cluster["proxy-url"] = proxyUrl;
  const file = join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

async function execIdentity(
  kubeconfigPath: string,
  env: Record<string, string>,
  config = {},
): Promise<RunResult> {
  const configPath = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    configPath,
    JSON.stringify({ agent: { communication_timeout: 2, startup_timeout: 30 }, ...config }),
  );
  const inherited = { ...(process.env as Record<string, string>) };
  for (const name of [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
  ])
    delete inherited[name];
  return run(
    [
      mirrordBinary(),
      "exec",
      "-f",
      configPath,
      "-t",
      `pod/${POD_NAME}`,
      "--",
      join(dir, "identity"),
      "APP_MODE",
    ],
    {
      env: { ...inherited, KUBECONFIG: kubeconfigPath, MIRRORD_PROGRESS_MODE: "off", ...env },
      timeoutMs: 60_000,
    },
  );
}

function expectPodIdentity(result: RunResult): void {
  expect(result.stderr).toBe("");
  expect(result.stdout).toContain(`hostname=${POD_NAME}\n`);
  expect(result.stdout).toContain("APP_MODE=behind-proxy\n");
  expect(result.code).toBe(0);
}

describe.skipIf(unavailable !== undefined)("mirrord exec through an HTTP proxy", () => {
  test("the kubeconfig's proxy-url carries the API calls and the agent port-forward", async () => {
    const before = proxy.tunnels.length;
    expectPodIdentity(await execIdentity(kubeconfig(UNREACHABLE_SERVER, proxy.url), {}));
    // At least one tunnel for API calls and one for the port-forward WebSocket.
    expect(proxy.tunnels.slice(before).filter((t) => t === "127.0.0.1:1").length).toBeGreaterThanOrEqual(2);
  }, 90_000);

  test("HTTPS_PROXY is used when the kubeconfig names no proxy", async () => {
    const before = proxy.tunnels.length;
    expectPodIdentity(await execIdentity(kubeconfig(UNREACHABLE_SERVER), { HTTPS_PROXY: proxy.url }));
    expect(proxy.tunnels.length - before).toBeGreaterThanOrEqual(2);
  }, 90_000);

  test("use_proxy: false and NO_PROXY go direct even with HTTPS_PROXY set", async () => {
    const before = proxy.tunnels.length;
    expectPodIdentity(
      await execIdentity(kubeconfig(kube.url), { HTTPS_PROXY: proxy.url }, { use_proxy: false }),
    );
    expectPodIdentity(
      await execIdentity(kubeconfig(kube.url), { HTTPS_PROXY: proxy.url, NO_PROXY: "127.0.0.1" }),
    );
    expect(proxy.tunnels.slice(before)).toEqual([]);
  }, 120_000);

  test("a proxy that refuses the tunnel fails the run with one clear cause", async () => {
    const refusing = await startConnectProxy(() => undefined);
    try {
      const result = await execIdentity(kubeconfig(UNREACHABLE_SERVER, refusing.url), {});
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("the HTTP proxy in the way to the API server failed");
      expect(result.stderr).toContain("use_proxy: false");
      expect(refusing.tunnels.length).toBeGreaterThanOrEqual(1);
    } finally {
      await refusing.close();
    }
  }, 90_000);
});
