/**
 * Waiting for an agent pod or ephemeral container to come up (agent-kube.md §3.2–3.3): watch the pod,
 * report each phase with its time, fail fast with the cause Kubernetes gives (image pull, scheduling,
 * crash, OOM, deletion), then follow the container log until the agent prints `agent ready`.
 */
import { CoreV1Api, type KubeConfig, type V1ContainerStatus, type V1Pod } from "@kubernetes/client-node";
import { apiClient } from "./client.ts";
import { explainKubeFailure, KubeError } from "./errors.ts";
import { followLog, watchEvents } from "./streams.ts";

export interface ReadinessReporter {
  phase(what: string): void;
}

const READY_LINE = /agent ready( - version (\S+))?/;
const PULL_FAILURES = new Set(["ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull"]);

/** A reason to stop waiting, or undefined to keep going; pure so it is tested on its own. */
export function podFailure(pod: V1Pod, status: V1ContainerStatus | undefined): string | undefined {
  const waiting = status?.state?.waiting;
  if (waiting?.reason && PULL_FAILURES.has(waiting.reason))
    return `the agent image could not be pulled (${waiting.reason}): ${waiting.message ?? status?.image}`;
  if (waiting?.reason === "CreateContainerConfigError" || waiting?.reason === "CreateContainerError")
    return `the agent container could not be created (${waiting.reason}): ${waiting.message ?? ""}`;
  const unschedulable = pod.status?.conditions?.find(
    (c) => c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable",
  );
  if (unschedulable) return `the agent pod cannot be scheduled: ${unschedulable.message ?? "no node fits"}`;
  const terminated = status?.state?.terminated ?? status?.lastState?.terminated;
  if (terminated)
    return terminated.reason === "OOMKilled"
      ? "the agent was killed for using more memory than its limit (OOMKilled): raise `agent.resources.limits.memory`"
      : `the agent exited with code ${terminated.exitCode} (${terminated.reason ?? "no reason given"})${terminated.message ? `: ${terminated.message}` : ""}`;
  if (pod.status?.phase === "Failed")
    return `the agent pod failed: ${pod.status.reason ?? ""} ${pod.status.message ?? ""}`.trim();
  if (pod.status?.phase === "Succeeded") return "the agent pod finished before it became ready";
  return undefined;
}

/** The latest Warning event about an object, as a hint when a wait ends without a clear status. */
export async function lastWarning(
  config: KubeConfig,
  namespace: string,
  name: string,
): Promise<string | undefined> {
  try {
    const events = await apiClient(config, CoreV1Api).listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.name=${name}`,
    });
    const warning = events.items.filter((e) => e.type === "Warning").at(-1);
    return warning && `${warning.reason}: ${warning.message}`;
  } catch {
    return undefined;
  }
}

interface WatchTarget {
  namespace: string;
  /** Watch query (label or field selector). */
  query: Record<string, string>;
  /** The container status to judge, given the latest pod object. */
  status(pod: V1Pod): V1ContainerStatus | undefined;
  /** True once the container counts as started. */
  started(pod: V1Pod, status: V1ContainerStatus | undefined): boolean;
}

/** Resolves with the pod once its agent container runs; rejects with the cause otherwise. */
export async function watchUntilStarted(
  config: KubeConfig,
  target: WatchTarget,
  reporter: ReadinessReporter,
  signal: AbortSignal,
): Promise<V1Pod> {
  const began = Date.now();
  const seen = new Set<string>();
  const once = (key: string, text: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    reporter.phase(`${text} (${((Date.now() - began) / 1000).toFixed(1)} s)`);
  };
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal.reason);
  signal.addEventListener("abort", onAbort);
  let outcome: { pod: V1Pod } | { error: KubeError } | undefined;
  const onEvent = (type: string, pod: V1Pod) => {
    if (outcome) return;
    const name = pod.metadata?.name ?? "";
    if (type === "DELETED") {
      outcome = {
        error: new KubeError(`the agent pod ${target.namespace}/${name} was deleted while starting`),
      };
      return stop.abort();
    }
    once("created", `agent pod ${target.namespace}/${name} created`);
    if (pod.spec?.nodeName) once("scheduled", `scheduled on node ${pod.spec.nodeName}`);
    const status = target.status(pod);
    if (status?.state?.waiting?.reason === "ContainerCreating") once("pulling", "pulling the agent image");
    const failure = podFailure(pod, status);
    if (failure) outcome = { error: new KubeError(failure, hintFor(failure)) };
    else if (target.started(pod, status)) {
      once("started", "agent container started");
      outcome = { pod };
    }
    if (outcome) stop.abort();
  };
  try {
    // The server ends a watch after timeoutSeconds; watch again until there is an outcome.
    while (!outcome) {
      try {
        await watchEvents(
          config,
          `/api/v1/namespaces/${target.namespace}/pods`,
          { ...target.query, timeoutSeconds: 60 },
          onEvent,
          stop.signal,
        );
      } catch (error) {
        if (outcome) break;
        if (signal.aborted) throw signal.reason;
        throw explainKubeFailure(error, "watching the agent pod");
      }
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  if ("error" in outcome) throw outcome.error;
  return outcome.pod;
}

function hintFor(failure: string): string | undefined {
  if (failure.includes("pulled"))
    return "check `agent.image` and `agent.image_pull_secrets`, and that the cluster can reach the registry";
  if (failure.includes("scheduled"))
    return "check `agent.node_selector`, `agent.tolerations` and `agent.resources` against the cluster's nodes";
  return undefined;
}

/** Follows the container log until the agent's ready line; returns the version it printed, if any. */
export async function waitForReadyLine(
  config: KubeConfig,
  namespace: string,
  pod: string,
  container: string,
  signal: AbortSignal,
): Promise<string | undefined> {
  let text = "";
  let version: string | undefined;
  let ready = false;
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal.reason);
  signal.addEventListener("abort", onAbort);
  try {
    await followLog(
      config,
      { namespace, pod, container },
      (chunk) => {
        if (ready) return;
        text += chunk;
        const match = READY_LINE.exec(text);
        if (!match) return;
        ready = true;
        version = match[2];
        stop.abort();
      },
      stop.signal,
    );
  } catch (error) {
    if (!ready) {
      if (signal.aborted) throw signal.reason;
      throw explainKubeFailure(error, "reading the agent log");
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  if (ready) return version;
  throw new KubeError(
    `the agent stopped before it was ready; its last output: ${text.trim().split("\n").slice(-3).join(" | ") || "(none)"}`,
  );
}
