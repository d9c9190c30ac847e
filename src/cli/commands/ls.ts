import type { CAC } from "cac";
import { notAvailableYet } from "../not-available.ts";

export function register(cli: CAC): void {
  cli
    .command("ls", 'List the targets in the cluster as a JSON array of paths (e.g. "deployment/api")')
    .option("-n, --namespace <namespace>", "Namespace to list targets in (default: the kube context's)")
    .option(
      "-t, --target-type <type>",
      "Only list this kind: targetless, pod, deployment, rollout, job, cronjob, statefulset, service, replicaset",
    )
    .option("-f, --config-file <path>", "mirrord config file to read kube settings from")
    .option("-o, --output <format>", "Output format (only `json`)", { default: "json" })
    .action(() => notAvailableYet("ls", "the Kubernetes control-plane issue"));
}
