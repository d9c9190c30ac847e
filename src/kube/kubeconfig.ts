/**
 * Which cluster and credentials: `kubeconfig` (colon-separated list, `~` expanded, merged with the first
 * file winning per name, as kubectl does) / `KUBECONFIG` / `~/.kube/config` / in-cluster service account,
 * then `kube_context`, `accept_invalid_certificates` and `use_proxy`. Exec auth plugins in the kubeconfig
 * are run by client-node itself.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter } from "node:path";
import { type Cluster, type Context, KubeConfig, type User } from "@kubernetes/client-node";
import { KubeError } from "./errors.ts";

export interface KubeSettings {
  kubeconfig?: string | undefined;
  kube_context?: string | undefined;
  accept_invalid_certificates?: boolean | undefined;
  use_proxy?: boolean | undefined;
}

const PROXY_VARS = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];
const IN_CLUSTER_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

function expandHome(path: string, env: NodeJS.ProcessEnv): string {
  return path.replace(/^~(?=$|\/)/, env.HOME ?? homedir());
}

/** The kubeconfig files to read, in precedence order; empty means in-cluster. */
export function kubeconfigFiles(settings: KubeSettings, env: NodeJS.ProcessEnv): string[] {
  const list = settings.kubeconfig ?? env.KUBECONFIG;
  if (list)
    return list
      .split(delimiter)
      .filter(Boolean)
      .map((path) => expandHome(path, env));
  const home = `${env.HOME ?? homedir()}/.kube/config`;
  return existsSync(home) ? [home] : [];
}

function readFile(path: string): KubeConfig {
  if (!existsSync(path))
    throw new KubeError(
      `the kubeconfig file ${path} does not exist`,
      "fix `kubeconfig` / KUBECONFIG, or create the file",
    );
  const config = new KubeConfig();
  try {
    config.loadFromFile(path);
  } catch (error) {
    throw new KubeError(`the kubeconfig file ${path} cannot be read: ${(error as Error).message}`);
  }
  return config;
}

/** kubectl's merge: the first file that defines a name (cluster, user, context, current-context) wins. */
function merged(files: string[]): KubeConfig {
  const result = new KubeConfig();
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let current = "";
  for (const file of files) {
    const config = readFile(file);
    for (const c of config.clusters) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of config.users) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of config.contexts) if (!contexts.has(c.name)) contexts.set(c.name, c);
    current ||= config.currentContext;
  }
  result.loadFromOptions({
    clusters: [...clusters.values()],
    users: [...users.values()],
    contexts: [...contexts.values()],
    currentContext: current,
  });
  return result;
}

export function loadKubeConfig(settings: KubeSettings, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const files = kubeconfigFiles(settings, env);
  let config: KubeConfig;
  if (files.length > 0) config = merged(files);
  else if (existsSync(IN_CLUSTER_TOKEN) && env.KUBERNETES_SERVICE_HOST) {
    config = new KubeConfig();
    config.loadFromCluster();
  } else
    throw new KubeError(
      "no Kubernetes configuration found: no kubeconfig file (KUBECONFIG, ~/.kube/config) and not running in a cluster",
      "point `kubeconfig` or KUBECONFIG at your cluster's kubeconfig, or use `connect_tcp` for a local agent",
    );
  if (settings.kube_context) {
    if (!config.contexts.some((c) => c.name === settings.kube_context))
      throw new KubeError(
        `kube context \`${settings.kube_context}\` is not in the kubeconfig (${files.join(", ") || "in-cluster"})`,
        `choose one of: ${config.contexts.map((c) => c.name).join(", ") || "(none)"}`,
      );
    config.setCurrentContext(settings.kube_context);
  }
  if (!config.getCurrentCluster())
    throw new KubeError(
      `the kubeconfig has no usable current context (\`${config.currentContext || "<unset>"}\`)`,
      "set `kube_context` or run `kubectl config use-context <name>`",
    );
  return adjustCluster(config, settings, env);
}

/** accept_invalid_certificates and use_proxy act on the current cluster entry only. */
function adjustCluster(config: KubeConfig, settings: KubeSettings, env: NodeJS.ProcessEnv): KubeConfig {
  const current = config.getCurrentCluster() as Cluster;
  const proxyFromEnv = PROXY_VARS.map((name) => env[name]).find(Boolean);
  const cluster: Cluster = {
    ...current,
    ...(settings.accept_invalid_certificates === undefined
      ? {}
      : { skipTLSVerify: settings.accept_invalid_certificates }),
    proxyUrl:
      settings.use_proxy === false
        ? undefined
        : (current.proxyUrl ?? (bypassesProxy(current.server, env) ? undefined : proxyFromEnv)),
  };
  if (settings.use_proxy === false) for (const name of PROXY_VARS) delete env[name];
  config.clusters = config.clusters.map((c) => (c.name === current.name ? cluster : c));
  return config;
}

function bypassesProxy(server: string, env: NodeJS.ProcessEnv): boolean {
  const host = new URL(server).hostname;
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return noProxy.some(
    (entry) => entry === "*" || host === entry || host.endsWith(entry.startsWith(".") ? entry : `.${entry}`),
  );
}

/** The namespace of the current context, `default` when it names none. */
export function contextNamespace(config: KubeConfig): string {
  return config.getContextObject(config.currentContext)?.namespace || "default";
}
