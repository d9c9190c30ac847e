import type { CAC } from "cac";
import { notAvailableYet } from "../not-available.ts";

export function register(cli: CAC): void {
  cli
    .command(
      "port-forward",
      "Forward local ports to addresses reachable from the target, or target ports back to local ones",
    )
    .option("-t, --target <target>", "Target path, e.g. pod/x or deployment/x/container/c")
    .option("-n, --target-namespace <namespace>", "Namespace of the target")
    .option(
      "-L, --port-mapping <mapping>",
      "[local_port:]remote_host:remote_port — listen locally, connect from the target",
    )
    .option(
      "-R, --reverse-port-mapping <mapping>",
      "[remote_port:]local_port — traffic to the target's port comes to a local port",
    )
    .option("-f, --config-file [path]", "mirrord config file")
    .action(() => notAvailableYet("port-forward", "the Kubernetes control-plane issue"));
}
