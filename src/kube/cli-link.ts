/**
 * An agent connection held by the CLI process itself (`mirrord port-forward`, `mirrord diagnose latency`),
 * which, unlike `exec`, stays alive: `connect_tcp` as given, or an agent created through Kubernetes and
 * reached over a port-forward relay in this process. `reconnect()` opens a fresh connection to the same
 * agent (a new port-forward stream), for when the previous one dropped while the agent lives on.
 */
import type { ResolvedConfig } from "../config/index.ts";
import { ProtocolClient } from "../transport/client.ts";
import { type CreateReporter, createAgent } from "./create-agent.ts";
import { loadKubeConfig } from "./kubeconfig.ts";
import { startAgentRelay } from "./port-forward.ts";

export interface CliAgentLink {
  client: ProtocolClient;
  /** For messages: `host:port` or `pod/<ns>/<name>:<port>`. */
  agentAddress: string;
  /** A new connection to the same agent; the old client should be closed first. */
  reconnect(): Promise<ProtocolClient>;
  /** Closes the connection and deletes the agent this link created. */
  close(): Promise<void>;
}

interface Reachable {
  address: string;
  secret: Uint8Array | null;
  agentAddress: string;
  /** Why reaching the agent failed below the protocol (the port-forward), when known. */
  dialFailure(): Error | undefined;
  /** Stops the relay and deletes the agent, if this process created them. */
  release(): Promise<void>;
}

async function agentThroughKube(config: ResolvedConfig, reporter: CreateReporter): Promise<Reachable> {
  const kube = loadKubeConfig(config);
  const session = await createAgent(kube, config, reporter);
  const { namespace, pod, port } = session.endpoint;
  try {
    const relay = await startAgentRelay(kube, session.endpoint);
    return {
      address: relay.address,
      secret: Buffer.from(session.secretHex, "hex"),
      agentAddress: `pod/${namespace}/${pod}:${port}`,
      dialFailure: relay.lastFailure,
      release: async () => {
        relay.close();
        await session.cleanup();
      },
    };
  } catch (error) {
    await session.cleanup().catch(() => {});
    throw error;
  }
}

export async function openCliAgentLink(
  config: ResolvedConfig,
  reporter: CreateReporter,
  clientName: string,
): Promise<CliAgentLink> {
  const timeoutMs = (config.agent.communication_timeout ?? 30) * 1000;
  const agent: Reachable = config.connect_tcp
    ? {
        address: config.connect_tcp,
        secret: null,
        agentAddress: config.connect_tcp,
        dialFailure: () => undefined,
        release: async () => {},
      }
    : await agentThroughKube(config, reporter);
  // A port-forward that cannot be opened shows up as a hang-up during the handshake; name its cause.
  const connect = () =>
    ProtocolClient.connect({
      address: agent.address,
      role: "cli",
      clientName,
      secret: agent.secret,
      timeoutMs,
    }).catch((error: unknown) => {
      throw agent.dialFailure() ?? error;
    });
  try {
    const link: CliAgentLink = {
      client: await connect(),
      agentAddress: agent.agentAddress,
      reconnect: async () => {
        link.client = await connect();
        return link.client;
      },
      close: async () => {
        link.client.close();
        await agent.release();
      },
    };
    return link;
  } catch (error) {
    await agent.release().catch(() => {});
    throw error;
  }
}
