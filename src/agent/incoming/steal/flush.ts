/**
 * `agent.flush_connections`: after a port is redirected, the conntrack entries of flows already
 * established to it are deleted, so their next packet is NATed afresh (into the redirect) and the
 * client, reset, reconnects into the steal instead of staying on the pod's app.
 */
import type { Logger } from "../../../transport/log.ts";
import { runCommand } from "./commands.ts";

export async function flushEstablished(port: number, log: Logger): Promise<void> {
  try {
    // Exit code 1 with "0 flow entries have been deleted" is not a failure.
    const result = await runCommand([
      "conntrack",
      "-D",
      "-p",
      "tcp",
      "--dport",
      String(port),
      "--state",
      "ESTABLISHED",
    ]);
    if (result.code !== 0 && !/0 flow entries/.test(result.stderr))
      log.warn("cannot flush established connections", { port, error: result.stderr.trim() });
  } catch (error) {
    log.warn("cannot flush established connections", { port, error: (error as Error).message });
  }
}
