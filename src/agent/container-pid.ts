/**
 * `targeted --container-id ID --container-runtime RT`: the host PID of a container's main process, found
 * the way that works for every runtime on a node with `hostPID: true` — the container id appears in the
 * cgroup path of each of its processes (`/proc/<pid>/cgroup`); the lowest such PID is the container's init.
 * The runtimes' own sockets (containerd/cri-o gRPC, docker HTTP) are not queried in this build.
 */
import { readdirSync, readFileSync } from "node:fs";

export const CONTAINER_RUNTIMES = ["containerd", "docker", "cri-o"] as const;

export class ContainerNotFoundError extends Error {
  override readonly name = "ContainerNotFoundError";
}

const CONTAINER_ID = /^[0-9a-f]{12,128}$/;

export function findContainerPid(containerId: string, runtime: string, procRoot = "/proc"): number {
  if (!(CONTAINER_RUNTIMES as readonly string[]).includes(runtime))
    throw new ContainerNotFoundError(
      `unknown container runtime "${runtime}": expected ${CONTAINER_RUNTIMES.join(", ")}`,
    );
  if (!CONTAINER_ID.test(containerId))
    throw new ContainerNotFoundError(
      `"${containerId}" is not a container id (12-128 lowercase hex digits, without the runtime:// prefix)`,
    );
  const pids = readdirSync(procRoot)
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid)
    .sort((a, b) => a - b);
  for (const pid of pids) {
    let cgroups: string;
    try {
      cgroups = readFileSync(`${procRoot}/${pid}/cgroup`, "utf8");
    } catch {
      continue; // exited while scanning, or not ours to read
    }
    if (cgroups.split("\n").some((line) => line.includes(containerId))) return pid;
  }
  throw new ContainerNotFoundError(
    `no process of ${runtime} container ${containerId} on this node (is the agent on the target's node, with hostPID?)`,
  );
}
