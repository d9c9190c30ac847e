/** Which container of a pod is the target, which are mesh sidecars, and which mesh the pod is in. */
import type { V1ContainerStatus, V1Pod } from "@kubernetes/client-node";

/** Sidecars and init containers of meshes and injectors that are never the user's app. */
export const SKIP_NAMES: ReadonlySet<string> = new Set([
  "kuma-sidecar",
  "kuma-init",
  "istio-proxy",
  "istio-init",
  "linkerd-proxy",
  "linkerd-init",
  "vault-agent",
  "vault-agent-init",
  "queue-proxy",
  "traffic-agent",
]);

const DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container";

export interface ContainerChoice {
  status: V1ContainerStatus;
  /** More than one container was a candidate and none was named. */
  guessed: boolean;
}

/** A named container only by exact name; else the default-container annotation; else the first non-sidecar. */
export function chooseContainer(pod: V1Pod, requested: string | undefined): ContainerChoice | undefined {
  const statuses = pod.status?.containerStatuses ?? [];
  if (requested !== undefined) {
    const status = statuses.find((s) => s.name === requested);
    return status && { status, guessed: false };
  }
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  const byAnnotation = statuses.find((s) => s.name === annotated);
  if (byAnnotation) return { status: byAnnotation, guessed: false };
  const candidates = statuses.filter((s) => !SKIP_NAMES.has(s.name));
  const status = candidates[0] ?? statuses[0];
  return status && { status, guessed: candidates.length > 1 };
}

export type MeshVendor = "istio" | "istio-cni" | "istio-ambient" | "linkerd" | "kuma";

export function meshVendor(pod: V1Pod): MeshVendor | undefined {
  if (pod.metadata?.annotations?.["ambient.istio.io/redirection"] === "enabled") return "istio-ambient";
  const names = new Set(
    [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].map(
      (s) => s.name,
    ),
  );
  if (names.has("istio-proxy") && names.has("istio-validation")) return "istio-cni";
  if (names.has("istio-proxy") || names.has("istio-init")) return "istio";
  if (names.has("linkerd-proxy") || names.has("linkerd-init")) return "linkerd";
  if (names.has("kuma-sidecar") || names.has("kuma-init")) return "kuma";
  return undefined;
}

export const CONTAINER_RUNTIMES = ["docker", "containerd", "cri-o"] as const;
export type ContainerRuntime = (typeof CONTAINER_RUNTIMES)[number];
