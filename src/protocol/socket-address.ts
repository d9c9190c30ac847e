/** Converting the protocol's `SocketAddress` to and from the host/port pairs sockets speak. */
import { isIPv6 } from "node:net";
import { ipAddressFromText, ipAddressToText } from "./ip-address.ts";
import type { SocketAddress } from "./types.gen.ts";

/** An IP socket address from text (`10.0.0.1`, `::1`, an IPv4-mapped IPv6 stays IPv6). */
export function socketAddressFromIp(host: string, port: number): SocketAddress {
  const ip = ipAddressFromText(host);
  return ip.kind === "v4"
    ? { kind: "ipv4", ip: ip.octets, port }
    : { kind: "ipv6", ip: ip.octets, port, flowinfo: 0, scopeId: 0 };
}

/** The host and port of an IP socket address; null for unix addresses. */
export function ipEndpoint(address: SocketAddress): { host: string; port: number; family: 4 | 6 } | null {
  if (address.kind === "ipv4")
    return { host: ipAddressToText({ kind: "v4", octets: address.ip }), port: address.port, family: 4 };
  if (address.kind === "ipv6")
    return { host: ipAddressToText({ kind: "v6", octets: address.ip }), port: address.port, family: 6 };
  return null;
}

/** Readable form for logs and error messages: `10.0.0.1:80`, `[::1]:80`, `unix:/run/x.sock`. */
export function socketAddressToText(address: SocketAddress): string {
  const ip = ipEndpoint(address);
  if (ip) return isIPv6(ip.host) ? `[${ip.host}]:${ip.port}` : `${ip.host}:${ip.port}`;
  if (address.kind === "unixPath") return `unix:${address.path}`;
  if (address.kind === "unixAbstract") return `unix:@${new TextDecoder().decode(address.name)}`;
  return "unix:(unnamed)";
}
