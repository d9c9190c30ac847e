/** The cluster simulator's public API; see README.md. */
export { sampleApps } from "./apps.ts";
export { sweepDeadRuns } from "./cleanup.ts";
export type { ClusterOptions, PodSpec, Service, ServiceSpec, SpawnInNetnsOptions } from "./cluster.ts";
export { Cluster, simulatorUnavailableReason } from "./cluster.ts";
export type { Forward } from "./forward.ts";
export { CLUSTER_CIDR, DNS_IP } from "./network.ts";
export type { ExecOptions } from "./pod.ts";
export { Pod } from "./pod.ts";
export type { Exit, RunResult } from "./process.ts";
export { SimProcess } from "./process.ts";
