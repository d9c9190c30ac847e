/**
 * What `mirrord ls` lists: the target paths of one namespace (`deployment/api`, `pod/x`,
 * `pod/x/container/c`, …) in mirrord's order and by mirrord's rules (agent-kube.md §8.1), and the
 * namespaces of the cluster. Every kind is listed without an operator, since every kind resolves without one.
 */
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1Pod,
} from "@kubernetes/client-node";
import type { TARGET_KINDS } from "../config/target-path.ts";
import { apiClient } from "./client.ts";
import { SKIP_NAMES } from "./containers.ts";
import { explainKubeFailure } from "./errors.ts";

export type ListedKind = (typeof TARGET_KINDS)[number];

/** mirrord's listing order of every kind. */
export const LISTING_ORDER: readonly ListedKind[] = [
  "deployment",
  "rollout",
  "statefulset",
  "cronjob",
  "job",
  "service",
  "replicaset",
  "pod",
];

/** Hides agent pods and objects the mirrord operator owns. */
const LABEL_SELECTOR = "app!=mirrord,!operator.metalbear.co/owner";
const PAGE_SIZE = 500;

interface Named {
  metadata?: { name?: string };
}
interface Page<T> {
  items: T[];
  metadata?: { _continue?: string; continue?: string };
}
interface PageQuery {
  labelSelector: string;
  limit: number;
  _continue?: string;
}

/** Follows `continue` tokens until the list is complete. */
async function allPages<T>(fetch: (query: PageQuery) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  for (;;) {
    const page = await fetch({
      labelSelector: LABEL_SELECTOR,
      limit: PAGE_SIZE,
      ...(token ? { _continue: token } : {}),
    });
    items.push(...page.items);
    token = page.metadata?._continue ?? page.metadata?.continue;
    if (!token) return items;
  }
}

const isReady = (pod: V1Pod) =>
  pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;

/** One path per pod, or one per container when several (mesh sidecars aside) could be the target. */
function podPaths(pod: V1Pod): string[] {
  const name = pod.metadata?.name ?? "";
  const containers = (pod.spec?.containers ?? []).map((c) => c.name).filter((c) => !SKIP_NAMES.has(c));
  if (containers.length === 1) return [`pod/${name}`];
  return containers.map((c) => `pod/${name}/container/${c}`);
}

const names = (kind: ListedKind, objects: Named[]) => objects.map((o) => `${kind}/${o.metadata?.name}`);

async function pathsOf(config: KubeConfig, kind: ListedKind, namespace: string): Promise<string[]> {
  const core = apiClient(config, CoreV1Api);
  const apps = apiClient(config, AppsV1Api);
  const batch = apiClient(config, BatchV1Api);
  switch (kind) {
    case "pod": {
      const pods = await allPages((q) =>
        core.listNamespacedPod({ namespace, ...q, fieldSelector: "status.phase=Running" }),
      );
      return pods.filter(isReady).flatMap(podPaths);
    }
    case "deployment": {
      const deployments = await allPages((q) => apps.listNamespacedDeployment({ namespace, ...q }));
      return names(
        kind,
        deployments.filter((d) => (d.status?.availableReplicas ?? 0) >= 1),
      );
    }
    case "rollout": {
      const custom = apiClient(config, CustomObjectsApi);
      const rollouts = await allPages(
        (q) =>
          custom.listNamespacedCustomObject({
            group: "argoproj.io",
            version: "v1alpha1",
            plural: "rollouts",
            namespace,
            ...q,
          }) as Promise<Page<Named>>,
      );
      return names(kind, rollouts);
    }
    case "statefulset":
      return names(kind, await allPages((q) => apps.listNamespacedStatefulSet({ namespace, ...q })));
    case "replicaset":
      return names(kind, await allPages((q) => apps.listNamespacedReplicaSet({ namespace, ...q })));
    case "job":
      return names(kind, await allPages((q) => batch.listNamespacedJob({ namespace, ...q })));
    case "cronjob":
      return names(kind, await allPages((q) => batch.listNamespacedCronJob({ namespace, ...q })));
    case "service":
      return names(kind, await allPages((q) => core.listNamespacedService({ namespace, ...q })));
  }
}

/**
 * The target paths of `kinds` in `namespace`, in mirrord's listing order. A kind the cluster does not
 * serve (no Argo Rollouts CRD: 404) has no targets; any other failure is an error naming the kind.
 */
export async function listTargets(
  config: KubeConfig,
  namespace: string,
  kinds: readonly ListedKind[],
): Promise<string[]> {
  const wanted = LISTING_ORDER.filter((kind) => kinds.includes(kind));
  const lists = await Promise.all(
    wanted.map(async (kind) => {
      try {
        return await pathsOf(config, kind, namespace);
      } catch (error) {
        if ((error as { code?: number }).code === 404) return [];
        throw explainKubeFailure(
          error,
          `listing ${kind} targets in namespace \`${namespace}\``,
          config.getCurrentCluster()?.server,
        );
      }
    }),
  );
  return lists.flat();
}

/** The cluster's namespaces (with the same label filter as targets). */
export async function listNamespaces(config: KubeConfig): Promise<string[]> {
  const core = apiClient(config, CoreV1Api);
  try {
    const namespaces = await allPages((q) => core.listNamespace(q));
    return namespaces.map((n) => n.metadata?.name ?? "");
  } catch (error) {
    throw explainKubeFailure(error, "listing namespaces", config.getCurrentCluster()?.server);
  }
}
