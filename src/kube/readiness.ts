/**
 * Waiting for an agent pod or ephemeral container to come up (agent-kube.md §3.2–3.3): watch the pod,
 * report each phase with its time, fail fast with the cause Kubernetes gives (image pull, scheduling,
 * crash, OOM, deletion), then follow the container log until the agent prints `agent ready`.
 */
import { Writable } from "node:stream";
import {
  CoreV1Api,
  type KubeConfig,
  Log,
  type V1ContainerStatus,
  type V1Pod,
  Watch,
} from "@kubernetes/client-node";
import { KubeError } from "./errors.ts";

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
    const events = await config.makeApiClient(CoreV1Api).listNamespacedEvent({
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
export function watchUntilStarted(
  config: KubeConfig,
  target: WatchTarget,
  reporter: ReadinessReporter,
  signal: AbortSignal,
): Promise<V1Pod> {
  const began = Date.now();
  const seconds = () => ((Date.now() - began) / 1000).toFixed(1);
  const seen = new Set<string>();
  const once = (key: string, text: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    reporter.phase(`${text} (${seconds()} s)`);
  };
  return new Promise((resolve, reject) => {
    let controller: AbortController | undefined;
    let settled = false;
    const finish = (error: Error | undefined, pod?: V1Pod) => {
      if (settled) return;
      settled = true;
      controller?.abort();
      signal.removeEventListener("abort", onAbort);
      if (error) reject(error);
      else resolve(pod as V1Pod);
    };
    const onAbort = () => finish(signal.reason instanceof Error ? signal.reason : new KubeError("cancelled"));
    signal.addEventListener("abort", onAbort);
    const start = () => {
      new Watch(config)
        .watch(
          `/api/v1/namespaces/${target.namespace}/pods`,
          { ...target.query, timeoutSeconds: 60 },
          (type, pod: V1Pod) => {
            const name = pod.metadata?.name ?? "";
            if (type === "DELETED")
              return finish(
                new KubeError(`the agent pod ${target.namespace}/${name} was deleted while starting`),
              );
            once("created", `agent pod ${target.namespace}/${name} created`);
            if (pod.spec?.nodeName) once("scheduled", `scheduled on node ${pod.spec.nodeName}`);
            const status = target.status(pod);
            if (status?.state?.waiting?.reason === "ContainerCreating")
              once("pulling", "pulling the agent image");
            const failure = podFailure(pod, status);
            if (failure) return finish(new KubeError(failure, hintFor(failure)));
            if (target.started(pod, status)) {
              once("started", "agent container started");
              finish(undefined, pod);
            }
          },
          (error) => {
            if (settled) return;
            if (error && (error as Error).name !== "AbortError")
              return finish(new KubeError(`watching the agent pod failed: ${(error as Error).message}`));
            start();
          },
        )
        .then(
          (c) => {
            controller = c;
            if (settled) c.abort();
          },
          (error) => finish(error as Error),
        );
    };
    start();
  });
}

function hintFor(failure: string): string | undefined {
  if (failure.includes("pulled"))
    return "check `agent.image` and `agent.image_pull_secrets`, and that the cluster can reach the registry";
  if (failure.includes("scheduled"))
    return "check `agent.node_selector`, `agent.tolerations` and `agent.resources` against the cluster's nodes";
  return undefined;
}

/** Follows the container log until the agent's ready line; returns the version it printed, if any. */
export function waitForReadyLine(
  config: KubeConfig,
  namespace: string,
  pod: string,
  container: string,
  signal: AbortSignal,
): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let text = "";
    let controller: AbortController | undefined;
    let settled = false;
    const finish = (error: Error | undefined, version?: string) => {
      if (settled) return;
      settled = true;
      // Aborting a followed log makes client-node's body stream emit an error nobody can catch; after
      // success the follow is left to end with the agent (or with this process, which execs or exits).
      if (error) controller?.abort();
      signal.removeEventListener("abort", onAbort);
      if (error) reject(error);
      else resolve(version);
    };
    const onAbort = () => finish(signal.reason instanceof Error ? signal.reason : new KubeError("cancelled"));
    signal.addEventListener("abort", onAbort);
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        const match = READY_LINE.exec(text);
        if (match) finish(undefined, match[2]);
        done();
      },
    });
    new Log(config)
      .log(
        namespace,
        pod,
        container,
        sink,
        (error) => {
          if (settled) return;
          if (error && (error as Error).name !== "AbortError")
            return finish(new KubeError(`reading the agent log failed: ${(error as Error).message}`));
          finish(
            new KubeError(
              `the agent stopped before it was ready; its last output: ${text.trim().split("\n").slice(-3).join(" | ") || "(none)"}`,
            ),
          );
        },
        { follow: true },
      )
      .then(
        (c) => {
          controller = c;
        },
        (error) => finish(new KubeError(`reading the agent log failed: ${(error as Error).message}`)),
      );
  });
}
