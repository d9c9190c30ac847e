/**
 * The Kubernetes way to an agent, for `mirrord exec` and `mirrord port-forward`: create it, and hand the
 * intproxy what it needs to reach it. The intproxy (a detached process that outlives the CLI's execve)
 * runs the port-forward relay itself, from `MIRRORD_AGENT_KUBE` (see `intproxyAgentAddress`).
 */
import type { ResolvedConfig } from "../config/index.ts";
import { parseResolved, RESOLVED_CONFIG_ENV } from "../config/index.ts";
import { type AgentSession, type CreateReporter, createAgent } from "./create-agent.ts";
import { KubeError } from "./errors.ts";
import { loadKubeConfig } from "./kubeconfig.ts";
import { type AgentEndpoint, startAgentRelay } from "./port-forward.ts";

/** Where the agent lives, as JSON in the intproxy's environment. */
export const AGENT_KUBE_ENV = "MIRRORD_AGENT_KUBE";

export interface KubeAgentConnection {
  /** For messages: `pod/<ns>/<name>:<port>`. */
  agentAddress: string;
  secretHex: string;
  /** Added to the intproxy's environment. */
  intproxyEnv: Record<string, string>;
  session: AgentSession;
  cleanup(): Promise<void>;
}

export async function connectThroughKube(
  config: ResolvedConfig,
  reporter: CreateReporter,
): Promise<KubeAgentConnection> {
  const kube = loadKubeConfig(config);
  const session = await createAgent(kube, config, reporter);
  const { namespace, pod, port } = session.endpoint;
  return {
    agentAddress: `pod/${namespace}/${pod}:${port}`,
    secretHex: session.secretHex,
    intproxyEnv: { [AGENT_KUBE_ENV]: JSON.stringify(session.endpoint) },
    session,
    cleanup: session.cleanup,
  };
}

function parseEndpoint(text: string): AgentEndpoint {
  let value: Partial<AgentEndpoint>;
  try {
    value = JSON.parse(text) as Partial<AgentEndpoint>;
  } catch {
    throw new KubeError(`${AGENT_KUBE_ENV} is not JSON: ${text.slice(0, 80)}`);
  }
  if (typeof value.namespace !== "string" || typeof value.pod !== "string" || !Number.isInteger(value.port))
    throw new KubeError(`${AGENT_KUBE_ENV} must be {"namespace", "pod", "port"}, got ${text.slice(0, 80)}`);
  return value as AgentEndpoint;
}

/**
 * For the intproxy: when the agent is in a cluster, start a loopback relay over the API server's
 * port-forward and return its `127.0.0.1:<port>`; otherwise undefined (MIRRORD_AGENT_ADDR is used as is).
 * The relay resumes a dropped port-forward stream (the agent keeps the session meanwhile); `notify`
 * gets its one-line notices for the user.
 */
export async function intproxyAgentAddress(
  env: NodeJS.ProcessEnv,
  notify?: (line: string) => void,
): Promise<string | undefined> {
  const text = env[AGENT_KUBE_ENV];
  if (!text) return undefined;
  const endpoint = parseEndpoint(text);
  const resolved = env[RESOLVED_CONFIG_ENV] ? parseResolved(env[RESOLVED_CONFIG_ENV]) : undefined;
  const relay = await startAgentRelay(loadKubeConfig(resolved ?? {}, env), endpoint, {
    resumable: true,
    notify,
  });
  return relay.address;
}
