/**
 * Netfilter redirects of pod ports to the agent's steal listener. Whatever backend holds them, the
 * redirects never outlive the agent: each backend ties them to a helper process whose only lifeline
 * is a pipe from the agent, so when the agent dies (even SIGKILL, no code of ours runs) the pipe
 * closes and the redirects go within milliseconds, and the pod's own app serves its port again.
 */
import type { Logger } from "../../../transport/log.ts";
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
  /** The steal listener's port, in this network namespace. */
  listenerPort: number;
  log: Logger;
}

export function startRedirector(options: RedirectorOptions): Promise<Redirector> {
  return options.nftables ? NftRedirector.start(options) : IptablesRedirector.start(options);
}
