/** The resource kinds the stand-in serves: URL plural → API group/version, kind, scope, client-node model. */

export interface ResourceKind {
  plural: string;
  /** `v1` for the core group, else `group/version`. */
  apiVersion: string;
  kind: string;
  namespaced: boolean;
  /** client-node model class used to check request bodies; undefined for CRDs (no schema known). */
  model?: string;
}

export const RESOURCES: readonly ResourceKind[] = [
  { plural: "pods", apiVersion: "v1", kind: "Pod", namespaced: true, model: "V1Pod" },
  { plural: "services", apiVersion: "v1", kind: "Service", namespaced: true, model: "V1Service" },
  { plural: "events", apiVersion: "v1", kind: "Event", namespaced: true, model: "CoreV1Event" },
  { plural: "namespaces", apiVersion: "v1", kind: "Namespace", namespaced: false, model: "V1Namespace" },
  { plural: "nodes", apiVersion: "v1", kind: "Node", namespaced: false, model: "V1Node" },
  {
    plural: "deployments",
    apiVersion: "apps/v1",
    kind: "Deployment",
    namespaced: true,
    model: "V1Deployment",
  },
  {
    plural: "replicasets",
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    namespaced: true,
    model: "V1ReplicaSet",
  },
  {
    plural: "statefulsets",
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    namespaced: true,
    model: "V1StatefulSet",
  },
  { plural: "jobs", apiVersion: "batch/v1", kind: "Job", namespaced: true, model: "V1Job" },
  { plural: "cronjobs", apiVersion: "batch/v1", kind: "CronJob", namespaced: true, model: "V1CronJob" },
  { plural: "rollouts", apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", namespaced: true },
];

export function resourceFor(apiVersion: string, plural: string): ResourceKind | undefined {
  return RESOURCES.find((r) => r.apiVersion === apiVersion && r.plural === plural);
}

export function resourceOfKind(kind: string): ResourceKind {
  const found = RESOURCES.find((r) => r.kind === kind);
  if (!found) throw new Error(`the API stand-in does not serve kind ${kind}`);
  return found;
}
