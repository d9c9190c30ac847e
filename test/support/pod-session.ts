/**
 * A simulated pod with a mirrord agent inside, reachable from the laptop through a port-forward:
 * what `mirrord exec` needs for an end-to-end run over `connect_tcp`.
 */
import { Cluster, type Forward, type Pod, type PodSpec, type SimProcess } from "../simulator/index.ts";
import { execEnv, mirrordBinary, type RunResult, run } from "./binary.ts";
import { withLoopbackResolver } from "./hermetic-dns.ts";

export const AGENT_PORT = 61337;

export interface ExecOptions {
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  /** Point the laptop's resolver at loopback for this run (see hermetic-dns.ts). */
  loopbackResolver?: boolean;
}

export interface PodSession {
  cluster: Cluster;
  pod: Pod;
  agent: SimProcess;
  forward: Forward;
  /** `host:port` for MIRRORD_CONNECT_TCP. */
  agentAddress: string;
  /** Runs `mirrord exec <args>` against this pod; env is added to this process's env. */
  exec(args: string[], options?: ExecOptions): Promise<RunResult>;
  destroy(): Promise<void>;
}

export interface PodSessionOptions {
  /** Extra environment of the agent (MIRRORD_AGENT_NFTABLES, …). */
  agentEnv?: Record<string, string>;
}

export async function startPodSession(
  clusterName: string,
  spec: PodSpec,
  options: PodSessionOptions = {},
): Promise<PodSession> {
  const cluster = await Cluster.create({ name: clusterName });
  try {
    const pod = await cluster.addPod(spec);
    const agent = cluster.spawnInPodNetns(
      pod,
      [
        mirrordBinary(),
        "agent",
        "--communicate-port",
        String(AGENT_PORT),
        "--communication-timeout",
        "120",
        "targeted",
        "--pid",
        String(pod.appPid),
      ],
      { env: options.agentEnv },
    );
    const forward = await cluster.forward(pod, AGENT_PORT);
    const agentAddress = `${forward.host}:${forward.port}`;
    await waitForAgent(agent);
    return {
      cluster,
      pod,
      agent,
      forward,
      agentAddress,
      exec: (args, options = {}) => {
        const argv = [mirrordBinary(), "exec", ...args];
        return run(options.loopbackResolver ? withLoopbackResolver(argv) : argv, {
          env: execEnv(agentAddress, options.env),
          cwd: options.cwd,
          timeoutMs: options.timeoutMs ?? 60_000,
        });
      },
      destroy: () => cluster.destroy(),
    };
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
}

/** The agent logs once it listens; bounded wait. */
async function waitForAgent(agent: SimProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (agent.exitStatus !== undefined) throw new Error(`the agent exited: ${agent.stderr()}`);
    if (/listening/i.test(agent.stderr() + agent.stdout())) return;
    await Bun.sleep(50);
  }
  throw new Error(`the agent did not start listening within 15 s: ${agent.stderr()}`);
}
