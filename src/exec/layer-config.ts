/**
 * What the layer needs of the resolved config, as the binary LayerConfig message the C layer decodes
 * with the same generated codec (base64 in MIRRORD_LAYER_CONFIG), so the layer never parses user input.
 */

import { type AddressFilterEntry, parseAddressFilterEntry } from "../config/address-filter.ts";
import type { ResolvedConfig } from "../config/index.ts";
import { envRequestOf } from "../env/compose.ts";
import {
  encodeFrame,
  ipAddressFromText,
  type MessageOf,
  type AddressFilterEntry as ProtocolFilterEntry,
} from "../protocol/index.ts";

export const LAYER_CONFIG_ENV = "MIRRORD_LAYER_CONFIG";

export function layerConfigOf(config: ResolvedConfig): MessageOf<"LayerConfig"> {
  const env = config.feature.env;
  const request = envRequestOf(env);
  return {
    type: "LayerConfig",
    hostname: config.feature.hostname,
    skipBuildTools: config.skip_build_tools,
    skipProcesses: config.skip_processes ?? [],
    skipExtraBuildTools: config.skip_extra_build_tools ?? [],
    loadEnvFromProcess: env.load_from_process === true,
    envInclude: request.include,
    envExclude: request.exclude,
    envUnset: env.unset ?? [],
    ...dnsSettings(config.feature.network.dns),
    ...fsSettings(config.feature.fs),
    ...incomingSettings(config.feature.network.incoming),
    ...outgoingSettings(config.feature.network.outgoing),
  };
}

const FS_MODE_CODES = { local: 0, localwithoverrides: 1, read: 2, write: 3 } as const;
/** The layer's read-ahead buffer is a u32; mirrord caps `readonly_file_buffer` at 15 MiB. */
const MAX_READ_BUFFER = 15 * 1024 * 1024;

function fsSettings(fs: ResolvedConfig["feature"]["fs"]) {
  return {
    fsMode: FS_MODE_CODES[fs.mode],
    fsReadWrite: fs.read_write ?? [],
    fsReadOnly: fs.read_only ?? [],
    fsLocal: fs.local ?? [],
    fsNotFound: fs.not_found ?? [],
    fsMapping: Object.entries(fs.mapping ?? {}).map(([pattern, replacement]) => ({ pattern, replacement })),
    fsReadBuffer: Math.min(Number(fs.readonly_file_buffer), MAX_READ_BUFFER),
  };
}

const INCOMING_MODE_CODES = { off: 0, mirror: 1, steal: 2 } as const;

function incomingSettings(incoming: ResolvedConfig["feature"]["network"]["incoming"]) {
  const pairs = (list: readonly (readonly [number, number])[] | undefined) =>
    (list ?? []).map(([from, to]) => ({ from, to }));
  return {
    incomingMode: INCOMING_MODE_CODES[incoming.mode],
    incomingPortMapping: pairs(incoming.port_mapping),
    incomingListenPorts: pairs(incoming.listen_ports),
    incomingPorts: incoming.ports ?? null,
    incomingIgnorePorts: incoming.ignore_ports ?? [],
    incomingIgnoreLocalhost: incoming.ignore_localhost,
  };
}

const PROTOCOL_CODES = { any: 0, tcp: 1, udp: 2 } as const;

function outgoingSettings(outgoing: ResolvedConfig["feature"]["network"]["outgoing"]) {
  const filter = outgoing.filter;
  const entries = filter ? ("remote" in filter ? filter.remote : filter.local) : [];
  return {
    outgoingTcp: outgoing.tcp,
    outgoingUdp: outgoing.udp,
    outgoingIgnoreLocalhost: outgoing.ignore_localhost,
    outgoingFilterSide: filter === undefined ? 0 : "remote" in filter ? 1 : 2,
    // Entries for a protocol that is off can never match: mirrord drops them at start.
    outgoingFilter: entries
      .map((entry) => ({
        protocol:
          PROTOCOL_CODES[(/^(tcp|udp|any):\/\//.exec(entry)?.[1] ?? "any") as keyof typeof PROTOCOL_CODES],
        entry: filterEntry(parseAddressFilterEntry(entry)),
      }))
      .filter(({ protocol }) => (protocol !== 1 || outgoing.tcp) && (protocol !== 2 || outgoing.udp)),
    outgoingUnixStreams: outgoing.unix_streams ?? [],
  };
}

function dnsSettings(dns: ResolvedConfig["feature"]["network"]["dns"]) {
  const filter = dns.filter;
  const entries = filter ? ("remote" in filter ? filter.remote : filter.local) : [];
  return {
    dnsEnabled: dns.enabled,
    dnsFilterSide: filter === undefined ? 0 : "remote" in filter ? 1 : 2,
    dnsFilter: entries.map((entry) => filterEntry(parseAddressFilterEntry(entry))),
  };
}

function filterEntry(entry: AddressFilterEntry): ProtocolFilterEntry {
  switch (entry.kind) {
    case "name":
    case "port":
      return entry;
    case "ip":
      return { kind: "ip", ip: ipAddressFromText(entry.ip), port: entry.port };
    case "subnet":
      return { kind: "subnet", ip: ipAddressFromText(entry.ip), prefix: entry.prefix, port: entry.port };
  }
}

export function encodeLayerConfig(config: ResolvedConfig): string {
  return Buffer.from(encodeFrame({ requestId: 0n, message: layerConfigOf(config) })).toString("base64");
}
