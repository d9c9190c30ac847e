/** The target's `/etc/hosts`: names to addresses and back, first entries first (hosts(5)). */
import { isIP } from "node:net";

export interface HostsFile {
  addressesOf(name: string): string[];
  nameOf(address: string): string | undefined;
}

export function parseHostsFile(text: string): HostsFile {
  const byName = new Map<string, string[]>();
  const byAddress = new Map<string, string>();
  for (const rawLine of text.split("\n")) {
    const [address, ...names] = rawLine.replace(/#.*$/, "").trim().split(/\s+/);
    if (!address || !isIP(address) || names.length === 0) continue;
    if (!byAddress.has(address) && names[0]) byAddress.set(address, names[0]);
    for (const name of names) {
      const key = name.toLowerCase();
      const list = byName.get(key) ?? [];
      if (!list.includes(address)) list.push(address);
      byName.set(key, list);
    }
  }
  return {
    addressesOf: (name) => byName.get(name.toLowerCase().replace(/\.$/, "")) ?? [],
    nameOf: (address) => byAddress.get(address),
  };
}
