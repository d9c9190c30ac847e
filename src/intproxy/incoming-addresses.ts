/** Address helpers of the incoming path: protocol `SocketAddress` ⇄ host/port, listener → connect target. */
import { ipAddressToText, type SocketAddress } from "../protocol/index.ts";
import type { HostPort } from "../transport/address.ts";

export function ipEndpointOf(address: SocketAddress): HostPort | null {
  if (address.kind === "ipv4")
    return { host: ipAddressToText({ kind: "v4", octets: address.ip }), port: address.port };
  if (address.kind === "ipv6")
    return { host: ipAddressToText({ kind: "v6", octets: address.ip }), port: address.port };
  return null;
}

/** Where to connect to reach a listener bound to `address`: a wildcard listener is reached over loopback. */
export function connectTargetOf(address: SocketAddress): HostPort | null {
  const endpoint = ipEndpointOf(address);
  if (!endpoint) return null;
  if (endpoint.host === "0.0.0.0") return { host: "127.0.0.1", port: endpoint.port };
  if (endpoint.host === "::") return { host: "::1", port: endpoint.port };
  return endpoint;
}
