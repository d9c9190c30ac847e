/**
 * The host-side guard: an nftables table in the host namespace rejecting output to the cluster range.
 * The host has no interface into the cluster, so without it a process on the "laptop" that dials a pod IP
 * directly (say, a layer bug) would send packets to the real default gateway. With it, it fails at once with
 * "No route to host", and no packet leaves the machine.
 */
import { CLUSTER_CIDR } from "./network.ts";
import { runChecked, runSync } from "./process.ts";

export async function installGuard(table: string): Promise<void> {
  const ruleset = [
    `table inet ${table} {`,
    "  chain output {",
    "    type filter hook output priority 0; policy accept;",
    `    ip daddr ${CLUSTER_CIDR} reject with icmpx type host-unreachable`,
    "  }",
    "}",
    "",
  ].join("\n");
  await runChecked(["nft", "-f", "-"], { input: ruleset });
}

/** Names of all inet tables in the host namespace. */
export function listGuardTables(): string[] {
  const listing = runSync(["nft", "list", "tables", "inet"]);
  return [...listing.stdout.matchAll(/^table inet (\S+)$/gm)].flatMap((match) =>
    match[1] ? [match[1]] : [],
  );
}

export function removeGuard(table: string): void {
  runSync(["nft", "delete", "table", "inet", table]);
}
