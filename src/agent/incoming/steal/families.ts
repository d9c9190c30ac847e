/**
 * Which IP families the pod can be reached on, and the group the agent's own sockets carry.
 *
 * A family is usable when any interface has an address of it; loopback counts (`::1` makes IPv6
 * usable: a sidecar talking to `[::1]:<port>` is then stolen too).
 *
 * The loopback redirect (OUTPUT, `-o lo`) would catch the agent's own connections to the pod's app
 * (pass-through, replay of unclaimed bytes, kubelet probes, outgoing traffic of the program) and send
 * them back to the agent. Netfilter tells them apart by the group owning the socket, so the agent runs
 * under a group of its own: the one Kubernetes gave it (`runAsGroup`), or, when it runs as root's group
 * (shared with whatever else runs as root in the pod), a fresh one it switches the whole process to.
 */
import { networkInterfaces } from "node:os";

export type IpFamily = "IPv4" | "IPv6";

export function usableFamilies(): IpFamily[] {
  const present = new Set(
    Object.values(networkInterfaces()).flatMap((addresses) => (addresses ?? []).map((a) => a.family)),
  );
  return (["IPv4", "IPv6"] as const).filter((family) => present.has(family));
}

/** Groups below this are commonly system or application groups; the same range as `agent.gid`'s. */
const FIRST_DEDICATED_GID = 3000;
const LAST_DEDICATED_GID = 65533;

/** The agent's group, made one no other process in the pod runs under if it was root's. */
export function ownGroup(): number {
  const gid = process.getgid?.() ?? 0;
  if (gid !== 0) return gid;
  const dedicated =
    FIRST_DEDICATED_GID + Math.floor(Math.random() * (LAST_DEDICATED_GID - FIRST_DEDICATED_GID + 1));
  // glibc applies it to every thread, so every socket opened from now on carries it.
  process.setgid?.(dedicated);
  return process.getgid?.() ?? dedicated;
}
