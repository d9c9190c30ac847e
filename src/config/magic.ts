/**
 * Adjustments made after resolution: `feature.magic.aws`, and host names of the outgoing filter
 * copied into the DNS filter on the same side (so `db.internal` in a remote filter also resolves remotely).
 */
import { hostNameOf } from "./address-filter.ts";
import type { Env } from "./env-overrides.ts";
import type { ResolvedConfig } from "./root.ts";

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export function applyMagic(config: ResolvedConfig, env: Env): void {
  if (!config.feature.magic.aws) return;
  const envConfig = config.feature.env;
  envConfig.unset = [...(envConfig.unset ?? []), "AWS_PROFILE"];
  const home = env.HOME;
  if (home === undefined || home === "") return;
  const pattern = `^${escapeRegex(home.replace(/\/+$/, ""))}/\\.aws(/.*)?`;
  const fs = config.feature.fs;
  if (fs.mapping?.[pattern] !== undefined) return;
  const tmp = (env.TMPDIR ?? "/tmp").replace(/\/+$/, "");
  fs.mapping = { ...fs.mapping, [pattern]: `${tmp}/.aws$1` };
}

/** Returns warnings for host names the outgoing and DNS filters route to different sides. */
export function reflectOutgoingFilterInDns(config: ResolvedConfig): string[] {
  const { outgoing, dns } = config.feature.network;
  if (!dns.enabled || outgoing.filter === undefined) return [];
  const side = "remote" in outgoing.filter ? "remote" : "local";
  const entries = "remote" in outgoing.filter ? outgoing.filter.remote : outgoing.filter.local;
  const hosts = entries.map(hostNameOf).filter((host): host is string => host !== undefined);
  if (hosts.length === 0) return [];
  if (dns.filter === undefined) {
    if (side === "local") dns.filter = { local: hosts };
    return [];
  }
  const dnsSide = "remote" in dns.filter ? "remote" : "local";
  const existing = "remote" in dns.filter ? dns.filter.remote : dns.filter.local;
  if (dnsSide === side) {
    const merged = [...existing, ...hosts.filter((host) => !existing.includes(host))];
    dns.filter = side === "remote" ? { remote: merged } : { local: merged };
    return [];
  }
  const overlap = hosts.filter((host) => existing.includes(host));
  return overlap.length === 0
    ? []
    : [
        `feature.network.outgoing.filter routes ${overlap.join(", ")} ${side}ly but feature.network.dns.filter resolves ${overlap.length === 1 ? "it" : "them"} ${dnsSide}ly.`,
      ];
}
