/**
 * `GetAddrInfo` and `ReverseLookup`: names resolved the way the target resolves them (its hosts file,
 * resolv.conf, nameservers), answered in the shape glibc's getaddrinfo gives: one entry per address and
 * socket type unless the hints narrow it. Failures carry getaddrinfo's EAI_* code as the errno.
 */
import { isIP } from "node:net";
import {
  ErrorKind,
  ipAddressFromText,
  ipAddressToText,
  type Message,
  type MessageOf,
} from "../../protocol/index.ts";
import { type ServiceProtocol, servicePorts } from "../dns/services.ts";
import { type Family, ResolveError, resolveName, reverseLookup } from "../dns/target-resolver.ts";
import type { TargetContext } from "../target.ts";
import { errorReply, type FeatureHandlers } from "./handler.ts";

export const EAI = { NONAME: -2, AGAIN: -3, FAIL: -4, FAMILY: -6, SOCKTYPE: -7, SERVICE: -8 } as const;
const AF_UNSPEC = 0;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const SOCK_RAW = 3;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const AI_NUMERICSERV = 0x400;

const dnsError = (code: number, message: string) => errorReply(code, ErrorKind.dns, message);

interface SocketKind {
  socktype: number;
  protocol: number;
  service: ServiceProtocol | undefined;
}

/** glibc's triple for unspecified hints: stream/TCP, datagram/UDP, raw. */
function socketKinds(socktype: number, protocol: number): SocketKind[] | undefined {
  const stream = { socktype: SOCK_STREAM, protocol: protocol || IPPROTO_TCP, service: "tcp" as const };
  const dgram = { socktype: SOCK_DGRAM, protocol: protocol || IPPROTO_UDP, service: "udp" as const };
  const raw = { socktype: SOCK_RAW, protocol, service: undefined };
  if (socktype === 0)
    return protocol === IPPROTO_UDP ? [dgram] : protocol === IPPROTO_TCP ? [stream] : [stream, dgram, raw];
  if (socktype === SOCK_STREAM) return [stream];
  if (socktype === SOCK_DGRAM) return [dgram];
  if (socktype === SOCK_RAW) return [raw];
  return undefined;
}

function familiesOf(family: number): Family[] | undefined {
  if (family === AF_UNSPEC) return [4, 6];
  if (family === AF_INET) return [4];
  if (family === AF_INET6) return [6];
  return undefined;
}

async function getAddrInfo(request: MessageOf<"GetAddrInfo">, target: TargetContext): Promise<Message> {
  const families = familiesOf(request.family);
  if (!families) return dnsError(EAI.FAMILY, `address family ${request.family} is not supported`);
  const kinds = socketKinds(request.socktype, request.protocol);
  if (!kinds) return dnsError(EAI.SOCKTYPE, `socket type ${request.socktype} is not supported`);

  let ports: Partial<Record<ServiceProtocol, number>> = {};
  const service = request.service;
  if (/^\d+$/.test(service) && Number(service) <= 65535)
    ports = { tcp: Number(service), udp: Number(service) };
  else if (service !== "") {
    if (request.flags & AI_NUMERICSERV) return dnsError(EAI.NONAME, `service "${service}" is not numeric`);
    ports = await servicePorts(target.root, service);
    if (ports.tcp === undefined && ports.udp === undefined)
      return dnsError(EAI.SERVICE, `unknown service "${service}"`);
  }
  const usable =
    service === "" ? kinds : kinds.filter((kind) => kind.service && ports[kind.service] !== undefined);
  if (usable.length === 0)
    return dnsError(EAI.SERVICE, `service "${service}" has no port for this socket type`);

  let resolved: Awaited<ReturnType<typeof resolveName>>;
  try {
    resolved = await resolveName(target.root, request.node, families);
  } catch (error) {
    if (error instanceof ResolveError)
      return dnsError(error.reason === "again" ? EAI.AGAIN : EAI.NONAME, error.message);
    return dnsError(EAI.FAIL, (error as Error).message);
  }
  if (resolved.addresses.length === 0)
    return dnsError(EAI.NONAME, `${request.node} has no address of the requested family`);
  return {
    type: "AddrInfo",
    entries: resolved.addresses.flatMap(({ family, address }) =>
      usable.map((kind) => ({
        family: family === 4 ? AF_INET : AF_INET6,
        socktype: kind.socktype,
        protocol: kind.protocol,
        address: ipAddressFromText(address),
        port: kind.service ? (ports[kind.service] ?? 0) : 0,
        canonname: resolved.canonicalName,
      })),
    ),
  };
}

async function reverse(request: MessageOf<"ReverseLookup">, target: TargetContext): Promise<Message> {
  const address = ipAddressToText(request.address);
  if (!isIP(address)) return dnsError(EAI.FAIL, `not an IP address: ${address}`);
  try {
    return { type: "ReverseLookupResult", hostname: await reverseLookup(target.root, address) };
  } catch (error) {
    if (error instanceof ResolveError) return dnsError(EAI.NONAME, error.message);
    return dnsError(EAI.AGAIN, (error as Error).message);
  }
}

export const dnsFeature: FeatureHandlers = { GetAddrInfo: getAddrInfo, ReverseLookup: reverse };
