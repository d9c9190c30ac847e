/**
 * Entries of `outgoing.filter` (`[proto://]host|ip|[ipv6]|ip/mask[:port]`) and `dns.filter`
 * (`[name|ip|ip/mask][:port]`). Returns the reason an entry is invalid, or undefined when it is fine.
 */
const PROTOCOL = /^(tcp|udp|any):\/\//;
const HOST = /^[A-Za-z0-9_*]([A-Za-z0-9_.*-]*[A-Za-z0-9_*])?$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

function portProblem(port: string): string | undefined {
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65_535) return `port "${port}" is not a number 0..65535`;
  return undefined;
}

function ipv4Problem(ip: string): string | undefined {
  const octets = IPV4.exec(ip)?.slice(1);
  if (octets === undefined) return undefined;
  return octets.some((octet) => Number(octet) > 255) ? `"${ip}" is not a valid IPv4 address` : undefined;
}

function addressProblem(address: string): string | undefined {
  if (address === "") return undefined;
  const slash = address.indexOf("/");
  if (slash !== -1) {
    const ip = address.slice(0, slash);
    const mask = address.slice(slash + 1);
    const isV4 = IPV4.test(ip);
    if (!isV4 && !(ip.includes(":") && IPV6.test(ip))) return `"${ip}" in a subnet must be an IP address`;
    const max = isV4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(mask) || Number(mask) > max) return `subnet mask "${mask}" must be 0..${max}`;
    return isV4 ? ipv4Problem(ip) : undefined;
  }
  if (IPV4.test(address)) return ipv4Problem(address);
  return HOST.test(address) ? undefined : `"${address}" is not a host name, IP address or subnet`;
}

function hostAndPortProblem(rest: string): string | undefined {
  if (rest.startsWith("[")) {
    const end = rest.indexOf("]");
    if (end === -1) return 'an IPv6 address opened with "[" is not closed with "]"';
    const tail = rest.slice(end + 1);
    if (!IPV6.test(rest.slice(1, end))) return `"${rest.slice(1, end)}" is not an IPv6 address`;
    if (tail === "") return undefined;
    return tail.startsWith(":") ? portProblem(tail.slice(1)) : `parsing left trailing value: ${tail}`;
  }
  const colon = rest.lastIndexOf(":");
  const address = colon === -1 ? rest : rest.slice(0, colon);
  if (address.includes(":")) return "IPv6 addresses must be written in brackets, e.g. [::1]:80";
  const problem = addressProblem(address);
  if (problem !== undefined) return problem;
  return colon === -1 ? undefined : portProblem(rest.slice(colon + 1));
}

export function outgoingFilterProblem(entry: string): string | undefined {
  return hostAndPortProblem(entry.replace(PROTOCOL, ""));
}

export function dnsFilterProblem(entry: string): string | undefined {
  if (entry === "") return "provided empty string";
  if (PROTOCOL.test(entry)) return "DNS filter entries take no protocol";
  return hostAndPortProblem(entry);
}

/** Host names (not IPs or subnets) of a filter entry, with their port if any: `name[:port]`. */
export function hostNameOf(entry: string): string | undefined {
  const rest = entry.replace(PROTOCOL, "");
  if (rest.startsWith("[") || rest.startsWith(":") || rest === "") return undefined;
  const colon = rest.lastIndexOf(":");
  const address = colon === -1 ? rest : rest.slice(0, colon);
  if (IPV4.test(address) || address.includes("/")) return undefined;
  const port = colon === -1 ? "" : rest.slice(colon + 1);
  return port === "" || port === "0" ? address : `${address}:${port}`;
}

/** A valid filter entry in structured form (port 0 = any port). */
export type AddressFilterEntry =
  | { kind: "name"; name: string; port: number }
  | { kind: "ip"; ip: string; port: number }
  | { kind: "subnet"; ip: string; prefix: number; port: number }
  | { kind: "port"; port: number };

/** Parses an entry that `dnsFilterProblem` / `outgoingFilterProblem` accepted (the protocol prefix is dropped). */
export function parseAddressFilterEntry(entry: string): AddressFilterEntry {
  const rest = entry.replace(PROTOCOL, "");
  let address: string;
  let port = 0;
  if (rest.startsWith("[")) {
    const end = rest.indexOf("]");
    address = rest.slice(1, end);
    if (rest[end + 1] === ":") port = Number(rest.slice(end + 2));
  } else {
    const colon = rest.lastIndexOf(":");
    address = colon === -1 ? rest : rest.slice(0, colon);
    if (colon !== -1) port = Number(rest.slice(colon + 1));
  }
  if (address === "") return { kind: "port", port };
  const slash = address.indexOf("/");
  if (slash !== -1)
    return { kind: "subnet", ip: address.slice(0, slash), prefix: Number(address.slice(slash + 1)), port };
  if (IPV4.test(address) || address.includes(":")) return { kind: "ip", ip: address, port };
  return { kind: "name", name: address, port };
}
