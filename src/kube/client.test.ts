/**
 * The kubeconfig's TLS settings reach every kind of traffic (API calls, watch, log, port-forward
 * WebSocket), against the stand-in API server with its own CA and, here, client-certificate auth.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect as netConnect, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { type KubeconfigParts, kubeconfigText } from "../../test/kube-api/index.ts";
import { KubeApiServer } from "../../test/kube-api/server.ts";
import { makeClientCert, makeServerTls, type ServerTls } from "../../test/kube-api/tls.ts";
import { apiClient } from "./client.ts";
import { explainKubeFailure } from "./errors.ts";
import { type KubeSettings, loadKubeConfig } from "./kubeconfig.ts";
import { startAgentRelay } from "./port-forward.ts";
import { followLog, watchEvents } from "./streams.ts";

let dir: string;
let tls: ServerTls;
let clientCert: { certPem: string; keyPem: string };
let echo: Server;
const echoPath = () => join(dir, "echo.sock");
const servers: KubeApiServer[] = [];
const TOKEN = "t0ken";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kube-client-test-"));
  tls = makeServerTls(dir);
  clientCert = makeClientCert(dir, "alice");
  echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(echoPath(), resolve));
});

afterAll(() => {
  for (const server of servers) server.stop();
  echo?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A stand-in API server holding one running pod whose port-forward reaches the echo socket. */
function apiServer(clientCertificates: boolean): string {
  const server = new KubeApiServer({
    tls,
    token: TOKEN,
    clientCertificates,
    backend: {
      dial: async () => echoPath(),
      logs: () => ({ stdout: "starting\nagent ready - version 9.9.9\n", stderr: "", finished: true }),
    },
  });
  servers.push(server);
  const url = server.start();
  server.apply({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default" },
    spec: { containers: [{ name: "app", image: "app:1" }] },
    status: { phase: "Running" },
  });
  return url;
}

function kubeconfig(parts: KubeconfigParts, settings: Omit<KubeSettings, "kubeconfig"> = {}) {
  const path = join(dir, `kubeconfig-${servers.length}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, kubeconfigText(parts));
  return loadKubeConfig({ kubeconfig: path, ...settings }, {});
}

const readPod = (config: ReturnType<typeof kubeconfig>) =>
  apiClient(config, CoreV1Api).readNamespacedPod({ name: "web", namespace: "default" });

describe("TLS from the kubeconfig", () => {
  test("a CA and client certificate given only in the kubeconfig carry API calls, watch and log", async () => {
    const config = kubeconfig({ url: apiServer(true), caPem: tls.caPem, clientCert });
    expect((await readPod(config)).metadata?.name).toBe("web");

    const stop = new AbortController();
    const seen: string[] = [];
    await watchEvents<V1Pod>(
      config,
      "/api/v1/namespaces/default/pods",
      {},
      (type, pod) => {
        seen.push(`${type} ${pod.metadata?.name}`);
        stop.abort();
      },
      stop.signal,
    ).catch(() => {});
    expect(seen).toEqual(["ADDED web"]);

    let log = "";
    await followLog(
      config,
      { namespace: "default", pod: "web", container: "app" },
      (text) => {
        log += text;
      },
      new AbortController().signal,
    );
    expect(log).toBe("starting\nagent ready - version 9.9.9\n");
  });

  test("the port-forward WebSocket uses the kubeconfig's CA and client certificate", async () => {
    const config = kubeconfig({ url: apiServer(true), caPem: tls.caPem, clientCert });
    const relay = await startAgentRelay(config, { namespace: "default", pod: "web", port: 4444 });
    try {
      const [host, port] = relay.address.split(":");
      const socket = netConnect({ host: host as string, port: Number(port) });
      const reply = await new Promise<string>((resolve, reject) => {
        socket.once("data", (chunk) => resolve(chunk.toString()));
        socket.once("error", reject);
        socket.write("ping over tls");
      });
      socket.destroy();
      expect(reply).toBe("ping over tls");
    } finally {
      relay.close();
    }
  });

  test("without the client certificate the server refuses the handshake", async () => {
    const config = kubeconfig({ url: apiServer(true), caPem: tls.caPem });
    const error = await readPod(config).catch((e: unknown) => explainKubeFailure(e, "reading pod web"));
    expect((error as Error).message).toStartWith(
      "reading pod web: the TLS handshake with the API server failed",
    );
    expect((error as { hint?: string }).hint).toContain("client certificate");
  });

  test("an untrusted server certificate fails with what to do, unless accept_invalid_certificates", async () => {
    const url = apiServer(false);
    const strict = kubeconfig({ url, token: TOKEN }, { accept_invalid_certificates: false });
    const error = await readPod(strict).catch((e: unknown) => explainKubeFailure(e, "reading pod web"));
    expect((error as Error).message).toStartWith(
      "reading pod web: the API server's TLS certificate is not trusted",
    );
    expect((error as { hint?: string }).hint).toContain("accept_invalid_certificates: true");

    const lax = kubeconfig({ url, token: TOKEN }, { accept_invalid_certificates: true });
    expect((await readPod(lax)).metadata?.name).toBe("web");
  });
});
