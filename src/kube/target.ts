/**
 * From a target path (`pod/x`, `deployment/x/container/c`, `service/x`, …) to the one running pod and
 * container the agent will work for, without an operator: workloads through their selector, the first
 * pod in list order that is ready to be targeted.
 */
import type { KubernetesObject, V1LabelSelector, V1Pod } from "@kubernetes/client-node";
import { AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { parseTargetString } from "../config/target-path.ts";
import { apiClient } from "./client.ts";
import {
  CONTAINER_RUNTIMES,
  type ContainerRuntime,
  chooseContainer,
  type MeshVendor,
  meshVendor,
} from "./containers.ts";
import { explainKubeFailure, KubeError } from "./errors.ts";

export interface PodTarget {
  kind: "pod";
  /** The path as the user wrote it, for messages. */
  path: string;
  namespace: string;
  pod: V1Pod;
  podName: string;
  container: string;
  containerId: string;
  runtime: ContainerRuntime;
  nodeName: string;
  podIps: string[];
  mesh: MeshVendor | undefined;
  /** A warning for the user when the container was picked among several. */
  warning?: string;
}

export type ResolvedTarget = { kind: "targetless"; namespace: string } | PodTarget;

type Selector = Record<string, string>;

function selectorOf(selector: V1LabelSelector | undefined, what: string): Selector {
  const labels = selector?.matchLabels;
  if (!labels || Object.keys(labels).length === 0)
    throw new KubeError(
      `${what} is missing field \`.spec.selector.matchLabels\``,
      "mirrord finds a workload's pods through its matchLabels",
    );
  return labels;
}

/** Reads the workload and returns the label selector of its pods. */
async function workloadSelector(
  config: KubeConfig,
  kind: string,
  name: string,
  namespace: string,
): Promise<Selector> {
  const apps = apiClient(config, AppsV1Api);
  const batch = apiClient(config, BatchV1Api);
  const what = `${kind} \`${namespace}/${name}\``;
  switch (kind) {
    case "deployment":
      return selectorOf((await apps.readNamespacedDeployment({ name, namespace })).spec?.selector, what);
    case "replicaset":
      return selectorOf((await apps.readNamespacedReplicaSet({ name, namespace })).spec?.selector, what);
    case "statefulset":
      return selectorOf((await apps.readNamespacedStatefulSet({ name, namespace })).spec?.selector, what);
    case "job":
      return selectorOf((await batch.readNamespacedJob({ name, namespace })).spec?.selector, what);
    case "cronjob":
      return selectorOf(
        (await batch.readNamespacedCronJob({ name, namespace })).spec?.jobTemplate?.spec?.selector,
        what,
      );
    case "service": {
      const selector = (await apiClient(config, CoreV1Api).readNamespacedService({ name, namespace })).spec
        ?.selector;
      if (!selector || Object.keys(selector).length === 0)
        throw new KubeError(
          `${what} has no \`.spec.selector\``,
          "target one of its pods directly: a service without a selector has no pods of its own",
        );
      return selector;
    }
    case "rollout":
      return rolloutSelector(config, name, namespace);
    default:
      throw new KubeError(`target type \`${kind}\` is not supported without the mirrord operator`);
  }
}

interface Rollout extends KubernetesObject {
  spec?: { selector?: V1LabelSelector; workloadRef?: { apiVersion?: string; kind?: string; name?: string } };
}

async function rolloutSelector(config: KubeConfig, name: string, namespace: string): Promise<Selector> {
  const rollout = (await apiClient(config, CustomObjectsApi).getNamespacedCustomObject({
    group: "argoproj.io",
    version: "v1alpha1",
    namespace,
    plural: "rollouts",
    name,
  })) as Rollout;
  const own = rollout.spec?.selector?.matchLabels;
  if (own && Object.keys(own).length > 0) return own;
  const ref = rollout.spec?.workloadRef;
  if (!ref?.kind || !ref.name)
    throw new KubeError(
      `rollout \`${namespace}/${name}\`: both .spec.selector and .spec.workloadRef fields are empty`,
    );
  const kinds: Record<string, string> = {
    Deployment: "deployment",
    ReplicaSet: "replicaset",
    StatefulSet: "statefulset",
  };
  const kind = kinds[ref.kind];
  if (!kind)
    throw new KubeError(`rollout \`${namespace}/${name}\` refers to an unknown resource kind ${ref.kind}`);
  return workloadSelector(config, kind, ref.name, namespace);
}

/** Why a pod cannot be targeted, or undefined when it can. Checks in mirrord's order. */
function unfit(pod: V1Pod, container: string | undefined): string | undefined {
  if (pod.status?.phase !== "Running") return `is not running (phase ${pod.status?.phase ?? "unknown"})`;
  if (pod.metadata?.deletionTimestamp) return "is being deleted";
  if (!pod.spec?.nodeName) return "is not scheduled on a node";
  const choice = chooseContainer(pod, container);
  if (!choice) return container ? `has no container named \`${container}\`` : "has no containers";
  if (!choice.status.ready) return `has container \`${choice.status.name}\`, which is not ready`;
  if (!choice.status.containerID) return `has container \`${choice.status.name}\` without a container id yet`;
  return undefined;
}

function toTarget(path: string, namespace: string, pod: V1Pod, container: string | undefined): PodTarget {
  const reason = unfit(pod, container);
  const podName = pod.metadata?.name ?? "";
  if (reason) {
    const names = (pod.status?.containerStatuses ?? []).map((s) => s.name).join(", ");
    throw new KubeError(
      `pod \`${namespace}/${podName}\` ${reason}`,
      reason.includes("no container named")
        ? `its containers are: ${names}`
        : "wait until it is running and ready, or pick another target",
    );
  }
  const choice = chooseContainer(pod, container) as NonNullable<ReturnType<typeof chooseContainer>>;
  const [runtime, id] = (choice.status.containerID ?? "").split("://");
  if (!id || !CONTAINER_RUNTIMES.includes(runtime as ContainerRuntime))
    throw new KubeError(
      `pod \`${namespace}/${podName}\`: container runtime \`${runtime}\` is not supported`,
      `mirrord supports ${CONTAINER_RUNTIMES.join(", ")}`,
    );
  return {
    kind: "pod",
    path,
    namespace,
    pod,
    podName,
    container: choice.status.name,
    containerId: id,
    runtime: runtime as ContainerRuntime,
    nodeName: pod.spec?.nodeName ?? "",
    podIps: (pod.status?.podIPs ?? []).map((p) => p.ip).filter(Boolean),
    mesh: meshVendor(pod),
    ...(choice.guessed
      ? {
          warning: `Target has multiple containers, mirrord picked "${choice.status.name}". To target a different one, include it in the target path.`,
        }
      : {}),
  };
}

export async function resolveTarget(
  config: KubeConfig,
  path: string | undefined,
  namespace: string,
): Promise<ResolvedTarget> {
  const parsed = parseTargetString(path ?? "targetless");
  if (parsed.kind === "targetless") return { kind: "targetless", namespace };
  if (parsed.kind === "label")
    throw new KubeError("label targets need the mirrord operator, which this build does not support");
  const shown = `${parsed.kind}/${parsed.name}`;
  const core = apiClient(config, CoreV1Api);
  try {
    if (parsed.kind === "pod") {
      const pod = await core.readNamespacedPod({ name: parsed.name, namespace });
      return toTarget(path ?? shown, namespace, pod, parsed.container);
    }
    const selector = await workloadSelector(config, parsed.kind, parsed.name, namespace);
    const labelSelector = Object.entries(selector)
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    const pods = (await core.listNamespacedPod({ namespace, labelSelector })).items;
    if (pods.length === 0)
      throw new KubeError(
        `${shown} in namespace \`${namespace}\` has no pods (no pods matching the labels ${labelSelector} were found)`,
        "scale it up or wait for its pods to be created",
      );
    const ready = pods.find((pod) => unfit(pod, parsed.container) === undefined);
    if (!ready) {
      const first = pods[0] as V1Pod;
      throw new KubeError(
        `${shown} in namespace \`${namespace}\` has no pod that can be targeted: pod \`${first.metadata?.name}\` ${unfit(first, parsed.container)}`,
        "wait until one of its pods is running and ready, or name a container that exists",
      );
    }
    return toTarget(path ?? shown, namespace, ready, parsed.container);
  } catch (error) {
    if ((error as { code?: number }).code === 404)
      throw new KubeError(
        `target ${shown} was not found in namespace \`${namespace}\``,
        `check the name and namespace (\`mirrord ls -n ${namespace}\` lists the targets there)`,
      );
    throw explainKubeFailure(error, `resolving target ${shown}`, config.getCurrentCluster()?.server);
  }
}
