/**
 * The cluster network: a "node" namespace holding a bridge, and one namespace per pod/service/client/DNS
 * plugged into it with a veth pair. Nothing is created in the host namespace, so the host has no path in.
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { runChecked } from "./process.ts";

export const CLUSTER_CIDR = "10.244.0.0/16";
const CIDR_BITS = 16;
const NET = "10.244";
export const NODE_IP = `${NET}.0.1`;
/** Every namespace also has an IPv6 address on one /64, derived from its IPv4 one (see `ipv6Of`). */
const NET6 = "fd00:10:244:";
const PREFIX6_BITS = 64;
export const DNS_IP = `${NET}.0.10`;
const BRIDGE = "br0";
const NETNS_DIR = "/run/netns";

/** Each role gets its own /24 inside the cluster /16, which keeps IPs readable in test output. */
export type Role = "pod" | "service" | "client";
const ROLE_SUBNET: Record<Role, number> = { pod: 1, service: 2, client: 3 };
const HOSTS_PER_SUBNET = 253;

export function netnsPath(name: string): string {
  return `${NETNS_DIR}/${name}`;
}

/** Hands out addresses per role: 10.244.<role>.2, .3, … */
export class AddressPlan {
  private readonly used: Record<Role, number> = { pod: 0, service: 0, client: 0 };

  next(role: Role): string {
    const count = this.used[role];
    if (count >= HOSTS_PER_SUBNET) throw new Error(`no ${role} addresses left (limit ${HOSTS_PER_SUBNET})`);
    this.used[role] = count + 1;
    return `${NET}.${ROLE_SUBNET[role]}.${count + 2}`;
  }
}

/** The IPv6 address of the namespace with IPv4 address `ipv4`: 10.244.1.2 → fd00:10:244::1:2. */
export function ipv6Of(ipv4: string): string {
  const [, , role, host] = ipv4.split(".");
  return `${NET6}:${role}:${host}`;
}

const ip = (...args: string[]) => runChecked(["ip", ...args]);

/** Adds `ipv4`'s IPv6 twin to `dev`; `nodad`: usable at once instead of after duplicate detection. */
const addIpv6 = (ns: string, dev: string, ipv4: string) =>
  ip("-n", ns, "addr", "add", `${ipv6Of(ipv4)}/${PREFIX6_BITS}`, "dev", dev, "nodad");

/** Creates the node namespace with its bridge. */
export async function createNode(nodeNs: string): Promise<void> {
  await ip("netns", "add", nodeNs);
  await ip("-n", nodeNs, "link", "set", "lo", "up");
  await ip("-n", nodeNs, "link", "add", BRIDGE, "type", "bridge");
  await ip("-n", nodeNs, "addr", "add", `${NODE_IP}/${CIDR_BITS}`, "dev", BRIDGE);
  await addIpv6(nodeNs, BRIDGE, NODE_IP);
  await ip("-n", nodeNs, "link", "set", BRIDGE, "up");
}

/**
 * Creates namespace `ns` with `eth0` = `address` (and its `ipv6Of` twin, whose /64 is on-link, so every
 * namespace reaches every other over IPv6 too) on the node's bridge and `lo` up. No default route: an
 * address outside the cluster is unreachable at once instead of timing out, and nothing can leave the node.
 */
export async function createAttachedNetns(
  nodeNs: string,
  ns: string,
  address: string,
  index: number,
): Promise<void> {
  const nodeSide = `veth${index}`;
  await ip("netns", "add", ns);
  await ip("-n", nodeNs, "link", "add", nodeSide, "type", "veth", "peer", "name", "eth0", "netns", ns);
  await ip("-n", nodeNs, "link", "set", nodeSide, "master", BRIDGE, "up");
  await ip("-n", ns, "addr", "add", `${address}/${CIDR_BITS}`, "dev", "eth0");
  await addIpv6(ns, "eth0", address);
  await ip("-n", ns, "link", "set", "eth0", "up");
  await ip("-n", ns, "link", "set", "lo", "up");
}

/** Names in /run/netns (the named network namespaces of this machine). */
export function listNetns(): string[] {
  try {
    return readdirSync(NETNS_DIR);
  } catch {
    return [];
  }
}

/** PIDs of all processes whose network namespace is one of the named ones. */
export function pidsInNetns(names: readonly string[]): number[] {
  const inodes = new Set<string>();
  for (const name of names) {
    try {
      inodes.add(`net:[${statSync(netnsPath(name)).ino}]`);
    } catch {
      // already deleted
    }
  }
  if (inodes.size === 0) return [];
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (inodes.has(readlinkSync(`/proc/${entry}/ns/net`))) pids.push(Number(entry));
    } catch {
      // exited meanwhile, or a kernel thread
    }
  }
  return pids;
}

/** Socket states in /proc/net/{tcp,udp}: a listening TCP socket, an unconnected (bound) UDP socket. */
const WAITING_STATE = { tcp: "0A", udp: "07" } as const;

/** Ports with a listening TCP / bound UDP socket in the network namespace of process `pid`. */
export function listeningPorts(pid: number, protocol: "tcp" | "udp"): Set<number> {
  const ports = new Set<number>();
  for (const table of [protocol, `${protocol}6`]) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      const port = local?.split(":")[1];
      if (state === WAITING_STATE[protocol] && port !== undefined) ports.add(Number.parseInt(port, 16));
    }
  }
  return ports;
}
