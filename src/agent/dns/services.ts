/** Service names to ports, from the target's `/etc/services` (then the agent's own), as getaddrinfo does. */
import { readFile } from "node:fs/promises";

export type ServiceProtocol = "tcp" | "udp";

export function parseServices(text: string): Map<string, Partial<Record<ServiceProtocol, number>>> {
  const services = new Map<string, Partial<Record<ServiceProtocol, number>>>();
  for (const rawLine of text.split("\n")) {
    const [name, portProtocol, ...aliases] = rawLine.replace(/#.*$/, "").trim().split(/\s+/);
    const match = /^(\d+)\/(tcp|udp)$/.exec(portProtocol ?? "");
    if (!name || !match) continue;
    for (const key of [name, ...aliases]) {
      const entry = services.get(key) ?? {};
      entry[match[2] as ServiceProtocol] ??= Number(match[1]);
      services.set(key, entry);
    }
  }
  return services;
}

export async function servicePorts(
  root: string,
  name: string,
): Promise<Partial<Record<ServiceProtocol, number>>> {
  for (const path of [`${root}/etc/services`, "/etc/services"]) {
    try {
      const entry = parseServices(await readFile(path, "utf8")).get(name);
      if (entry) return entry;
    } catch {
      // not there: try the next file
    }
  }
  return {};
}
