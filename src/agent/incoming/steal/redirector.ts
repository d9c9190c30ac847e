/**
 * Netfilter redirects of pod ports to the agent's steal listener, for every usable IP family. Whatever
 * backend holds them, the redirects never outlive the agent: each backend ties them to a helper process
 * whose only lifeline is a pipe from the agent, so when the agent dies (even SIGKILL, no code of ours
 * runs) the pipe closes and the redirects go within milliseconds, and the pod's own app serves its port
 * again.
 */
import type { Logger } from "../../../transport/log.ts";
import type { IpFamily } from "./families.ts";
import { IptablesRedirector } from "./iptables.ts";
import { NftRedirector } from "./nft.ts";

export interface Redirector {
  /** New TCP connections arriving at the pod for `port` go to the steal listener from now on. */
  add(port: number): Promise<void>;
  /** New connections to `port` reach the pod's app again (already redirected ones are unaffected). */
  remove(port: number): Promise<void>;
  /** Removes every redirect and stops the helper process. */
  close(): Promise<void>;
}

export interface RedirectorOptions {
  /** `agent.nftables` (MIRRORD_AGENT_NFTABLES): native nftables instead of iptables. */
  nftables: boolean;
  /** The families to redirect; the listener takes connections of each. */
  families: readonly IpFamily[];
  /** The steal listener's port, in this network namespace. */
  listenerPort: number;
  /** The agent's group: its own sockets are never redirected. */
  agentGid: number;
  log: Logger;
}

export function startRedirector(options: RedirectorOptions): Promise<Redirector> {
  return options.nftables ? NftRedirector.start(options) : startPerFamily(options);
}

/** iptables and ip6tables are separate tables: one redirector each, one failing is tolerated. */
async function startPerFamily(options: RedirectorOptions): Promise<Redirector> {
  const started: Redirector[] = [];
  const failures: string[] = [];
  for (const family of options.families) {
    try {
      started.push(await IptablesRedirector.start({ ...options, family }));
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  if (started.length === 0) throw new Error(failures.join("; ") || "no IP family to redirect");
  if (failures.length > 0)
    options.log.warn("steal works for one IP family only", { error: failures.join("; ") });
  return started.length === 1 ? (started[0] as Redirector) : new EachFamily(started);
}

class EachFamily implements Redirector {
  constructor(private readonly redirectors: readonly Redirector[]) {}

  async add(port: number): Promise<void> {
    for (const redirector of this.redirectors) await redirector.add(port);
  }

  async remove(port: number): Promise<void> {
    for (const redirector of this.redirectors) await redirector.remove(port);
  }

  async close(): Promise<void> {
    await Promise.all(this.redirectors.map((redirector) => redirector.close()));
  }
}
