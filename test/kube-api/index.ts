/** A Kubernetes API stand-in over a cluster simulator; see README.md. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Cluster, Pod as SimPod } from "../simulator/index.ts";
import { Kubelet, type WorkloadPodSpec } from "./kubelet.ts";
import { RESOURCES } from "./resources.ts";
import { KubeApiServer } from "./server.ts";
import type { KubeObject } from "./store.ts";
import { makeServerTls } from "./tls.ts";

export { NODE_NAME } from "./kubelet.ts";
export type { KubeObject } from "./store.ts";

export interface KubeApi {
  url: string;
  /** A kubeconfig file (context `sim`, namespace `default`) trusting the server's CA. */
  kubeconfigPath: string;
  /** The server's CA (PEM) and bearer token, for kubeconfigs of other shapes (`kubeconfigText`). */
  caPem: string;
  token: string;
  server: KubeApiServer;
  kubelet: Kubelet;
  /** Registers a simulated pod as a Running, Ready Pod. */
  addPod(sim: SimPod, spec: WorkloadPodSpec): KubeObject;
  /** Stores any object as a controller would (no schema/RBAC checks). */
  apply(object: KubeObject): KubeObject;
  get(plural: string, name: string, namespace?: string): KubeObject | undefined;
  list(plural: string, namespace?: string): KubeObject[];
  /** Deletes an object as a controller would (no RBAC; a deleted pod's containers are killed). */
  remove(plural: string, name: string, namespace?: string): void;
  stop(): Promise<void>;
}

export interface KubeApiOptions {
  cluster: Cluster;
  mirrord: string;
  /** Images the registry has; others fail to pull. */
  images: string[];
}

export interface KubeconfigParts {
  url: string;
  /** Trusted CA; left out, the server's certificate is untrusted. */
  caPem?: string;
  token?: string;
  clientCert?: { certPem: string; keyPem: string };
}

const b64 = (text: string) => Buffer.from(text).toString("base64");

/** A kubeconfig (JSON is YAML) with context `sim`, namespace `default`. */
export function kubeconfigText(parts: KubeconfigParts): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "sim",
        cluster: {
          server: parts.url,
          ...(parts.caPem ? { "certificate-authority-data": b64(parts.caPem) } : {}),
        },
      },
    ],
    users: [
      {
        name: "sim-user",
        user: {
          ...(parts.token ? { token: parts.token } : {}),
          ...(parts.clientCert
            ? {
                "client-certificate-data": b64(parts.clientCert.certPem),
                "client-key-data": b64(parts.clientCert.keyPem),
              }
            : {}),
        },
      },
    ],
    contexts: [{ name: "sim", context: { cluster: "sim", user: "sim-user", namespace: "default" } }],
    "current-context": "sim",
  });
}

export async function startKubeApi(options: KubeApiOptions): Promise<KubeApi> {
  const dir = mkdtempSync(join(tmpdir(), "kube-api-"));
  mkdirSync(join(dir, "relay"));
  const tls = makeServerTls(dir);
  const token = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
  let kubelet: Kubelet | undefined;
  const server = new KubeApiServer({
    tls,
    token,
    backend: {
      dial: (pod, port) => (kubelet as Kubelet).dial(pod, port),
      logs: (pod, container) => kubelet?.logs(pod, container),
    },
  });
  kubelet = new Kubelet({
    cluster: options.cluster,
    api: server,
    runDir: join(dir, "relay"),
    mirrord: options.mirrord,
    images: new Set(options.images),
  });
  const url = server.start();
  kubelet.start();
  const kubeconfigPath = join(dir, "kubeconfig");
  writeFileSync(kubeconfigPath, kubeconfigText({ url, caPem: tls.caPem, token }));
  const started = kubelet;
  return {
    url,
    kubeconfigPath,
    caPem: tls.caPem,
    token,
    server,
    kubelet: started,
    addPod: (sim, spec) => started.addWorkloadPod(sim, spec),
    apply: (object) => server.apply(object),
    get: (plural, name, namespace = "default") =>
      server.store.get(plural, plural === "nodes" || plural === "namespaces" ? undefined : namespace, name),
    list: (plural, namespace) => server.store.list(plural, { namespace }),
    remove: (plural, name, namespace = "default") => {
      const resource = RESOURCES.find((r) => r.plural === plural);
      if (!resource) throw new Error(`the API stand-in does not serve ${plural}`);
      server.store.delete(resource, resource.namespaced ? namespace : undefined, name);
    },
    stop: async () => {
      server.stop();
      await started.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
