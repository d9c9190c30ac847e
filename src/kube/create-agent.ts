/**
 * Getting an agent for one `mirrord exec` / `port-forward` session: resolve the target, create the agent
 * (targetless Job, targeted Job on the target's node, or ephemeral container), wait until it is ready
 * within `agent.startup_timeout`, and delete what was created if anything fails or the user hits Ctrl-C.
 */
import {
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
} from "@kubernetes/client-node";
import type { ResolvedConfig } from "../config/index.ts";
import {
  AGENT_CONTAINER,
  agentEphemeralContainer,
  agentJob,
  newSessionParams,
  type SessionParams,
} from "./agent-spec.ts";
import { apiClient } from "./client.ts";
import { explainKubeFailure, KubeError } from "./errors.ts";
import { contextNamespace } from "./kubeconfig.ts";
import type { AgentEndpoint } from "./port-forward.ts";
import { lastWarning, type ReadinessReporter, waitForReadyLine, watchUntilStarted } from "./readiness.ts";
import { type PodTarget, type ResolvedTarget, resolveTarget } from "./target.ts";

export interface AgentSession {
  endpoint: AgentEndpoint;
  secretHex: string;
  target: ResolvedTarget;
  /** Deletes the agent Job (nothing for an ephemeral container: Kubernetes cannot remove one). */
  cleanup(): Promise<void>;
}

export interface CreateReporter extends ReadinessReporter {
  warn(message: string): void;
}

/** An agent about to be created: its cleanup is known before the create call, so Ctrl-C never leaks it. */
interface Planned {
  /** Sends the object(s) to the API server. */
  create(): Promise<void>;
  endpoint: AgentEndpoint;
  /** How to watch the agent's pod and which container status is the agent's. */
  watch: Parameters<typeof watchUntilStarted>[1];
  container: string;
  cleanup(): Promise<void>;
}

const NO_CLEANUP = async () => {};

async function planJob(
  config: KubeConfig,
  settings: ResolvedConfig,
  params: SessionParams,
  target: ResolvedTarget,
): Promise<Planned> {
  const podTarget = target.kind === "pod" ? target : undefined;
  const namespace = podTarget ? (settings.agent.namespace ?? contextNamespace(config)) : target.namespace;
  const nodeHostname = podTarget && (await nodeHostnameLabel(config, podTarget.nodeName));
  const job = agentJob(settings.agent, params, settings.agent.image, podTarget, nodeHostname);
  const batch = apiClient(config, BatchV1Api);
  return {
    create: async () => {
      try {
        await batch.createNamespacedJob({ namespace, body: job });
      } catch (error) {
        throw explainKubeFailure(
          error,
          `creating the agent Job in namespace \`${namespace}\``,
          config.getCurrentCluster()?.server,
        );
      }
    },
    endpoint: { namespace, pod: "", port: params.port },
    container: AGENT_CONTAINER,
    watch: {
      namespace,
      query: { labelSelector: `job-name=${params.name}` },
      status: (pod) => pod.status?.containerStatuses?.find((s) => s.name === AGENT_CONTAINER),
      started: (pod, status) => pod.status?.phase === "Running" && status?.ready === true,
    },
    cleanup: async () => {
      try {
        await batch.deleteNamespacedJob({ name: params.name, namespace, propagationPolicy: "Background" });
      } catch (error) {
        if ((error as { code?: number }).code !== 404) throw error;
      }
    },
  };
}

/** The node's `kubernetes.io/hostname` label, preferred over nodeName for placement; best effort. */
async function nodeHostnameLabel(config: KubeConfig, nodeName: string): Promise<string | undefined> {
  try {
    const node = await apiClient(config, CoreV1Api).readNode({ name: nodeName });
    const labels = node.metadata?.labels ?? {};
    if (labels["vcluster.loft.sh/fake-node"] === "true") return undefined;
    return labels["kubernetes.io/hostname"];
  } catch {
    return undefined;
  }
}

function planEphemeral(
  config: KubeConfig,
  settings: ResolvedConfig,
  params: SessionParams,
  target: PodTarget,
): Planned {
  const core = apiClient(config, CoreV1Api);
  const { namespace, podName } = target;
  const create = async () => {
    try {
      const pod: V1Pod = await core.readNamespacedPodEphemeralcontainers({ name: podName, namespace });
      const container = agentEphemeralContainer(settings.agent, params, settings.agent.image, {
        ...target,
        pod: await core.readNamespacedPod({ name: podName, namespace }),
      });
      pod.spec = {
        ...(pod.spec as NonNullable<V1Pod["spec"]>),
        ephemeralContainers: [...(pod.spec?.ephemeralContainers ?? []), container],
      };
      if (pod.metadata) delete pod.metadata.resourceVersion;
      await core.replaceNamespacedPodEphemeralcontainers({ name: podName, namespace, body: pod });
    } catch (error) {
      throw explainKubeFailure(
        error,
        `adding the agent as an ephemeral container to pod \`${namespace}/${podName}\``,
      );
    }
  };
  return {
    create,
    endpoint: { namespace, pod: podName, port: params.port },
    container: params.name,
    watch: {
      namespace,
      query: { fieldSelector: `metadata.name=${podName}` },
      status: (pod) => pod.status?.ephemeralContainerStatuses?.find((s) => s.name === params.name),
      started: (_pod, status) => status?.state?.running !== undefined,
    },
    cleanup: NO_CLEANUP,
  };
}

/** The Job's startup deadline only guards the start: lifted once the agent is ready, so sessions may last. */
async function liftStartupDeadline(config: KubeConfig, namespace: string, name: string): Promise<void> {
  await apiClient(config, BatchV1Api).patchNamespacedJob(
    { name, namespace, body: { spec: { activeDeadlineSeconds: null } } },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
}

/** While the agent starts, Ctrl-C (or SIGTERM) deletes what was created before the process goes. */
function cleanupOnSignal(cleanup: () => Promise<void>): () => void {
  const handler = (signal: NodeJS.Signals) => {
    process.stderr.write(`\nmirrord: ${signal} while the agent was starting: removing it\n`);
    cleanup().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", handler);
  process.once("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}

export async function createAgent(
  config: KubeConfig,
  settings: ResolvedConfig,
  reporter: CreateReporter,
): Promise<AgentSession> {
  const namespace = settings.target.namespace ?? contextNamespace(config);
  const timeoutS = settings.agent.startup_timeout;
  const deadline = new AbortController();
  const timer = setTimeout(
    () =>
      deadline.abort(
        new KubeError(`the agent did not become ready within ${timeoutS} s (agent.startup_timeout)`),
      ),
    timeoutS * 1000,
  );
  let created: Planned | undefined;
  let stopSignals = () => {};
  try {
    const target = await Promise.race([
      resolveTarget(config, settings.target.path, namespace),
      new Promise<never>((_, reject) =>
        deadline.signal.addEventListener("abort", () => reject(deadline.signal.reason)),
      ),
    ]);
    if (target.kind === "pod") {
      reporter.phase(`target: pod ${target.namespace}/${target.podName}, container ${target.container}`);
      if (target.warning) reporter.warn(target.warning);
      if (target.mesh) reporter.warn(`service mesh detected: ${target.mesh}`);
    }
    if (settings.agent.ephemeral && target.kind !== "pod")
      throw new KubeError(
        "an ephemeral agent needs a target pod",
        "set a target, or `agent.ephemeral: false` for targetless runs",
      );
    const params = newSessionParams();
    created =
      settings.agent.ephemeral && target.kind === "pod"
        ? planEphemeral(config, settings, params, target)
        : await planJob(config, settings, params, target);
    stopSignals = cleanupOnSignal(created.cleanup);
    await created.create();
    const pod = await watchUntilStarted(config, created.watch, reporter, deadline.signal).catch(
      async (error) => {
        if (deadline.signal.aborted) {
          const hint = await lastWarning(
            config,
            created?.watch.namespace ?? namespace,
            created?.endpoint.pod || params.name,
          );
          throw new KubeError((error as Error).message, hint ? `last event: ${hint}` : undefined);
        }
        throw error;
      },
    );
    const podName = pod.metadata?.name ?? "";
    const version = await waitForReadyLine(
      config,
      created.watch.namespace,
      podName,
      created.container,
      deadline.signal,
    );
    reporter.phase(`agent ready${version ? ` (version ${version})` : ""}`);
    if (!settings.agent.ephemeral) await liftStartupDeadline(config, created.watch.namespace, params.name);
    return {
      endpoint: { ...created.endpoint, pod: podName },
      secretHex: params.secretHex,
      target,
      cleanup: created.cleanup,
    };
  } catch (error) {
    await created?.cleanup().catch(() => {});
    throw explainKubeFailure(error, "creating the agent", config.getCurrentCluster()?.server);
  } finally {
    clearTimeout(timer);
    stopSignals();
  }
}
