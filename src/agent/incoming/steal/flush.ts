/**
 * `agent.flush_connections`: after a port is redirected, the conntrack entries of flows already
 * established to it are deleted, so their next packet is NATed afresh (into the redirect) and the
 * client, reset, reconnects into the steal instead of staying on the pod's app.
 */
import type { Logger } from "../../../transport/log.ts";
import { runCommand } from "./commands.ts";
import type { IpFamily } from "./families.ts";

/** conntrack looks at one family per call (IPv4 unless told). */
const CONNTRACK_FAMILY: Record<IpFamily, string> = { IPv4: "ipv4", IPv6: "ipv6" };

export async function flushEstablished(
  port: number,
  families: readonly IpFamily[],
  log: Logger,
): Promise<void> {
  for (const family of families) {
    const args = [
      "-D",
      "-f",
      CONNTRACK_FAMILY[family],
      "-p",
      "tcp",
      "--dport",
      String(port),
      "--state",
      "ESTABLISHED",
    ];
    try {
      // Exit code 1 with "0 flow entries have been deleted" is not a failure.
      const result = await runCommand(["conntrack", ...args]);
      if (result.code !== 0 && !/0 flow entries/.test(result.stderr))
        log.warn("cannot flush established connections", { port, family, error: result.stderr.trim() });
    } catch (error) {
      log.warn("cannot flush established connections", { port, family, error: (error as Error).message });
    }
  }
}
