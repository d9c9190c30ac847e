/** `feature.network.incoming`: mirror or steal the target's incoming traffic. `true` | `false` | mode | object. */
import * as v from "valibot";
import { bool, byShape, listOf, maybe, oneOf, port, section, str, withDefault } from "../../schema-kit.ts";
import { httpFilterSchema } from "./http-filter.ts";

export const INCOMING_MODES = ["mirror", "steal", "off"] as const;
export type IncomingMode = (typeof INCOMING_MODES)[number];
const incomingMode = oneOf(INCOMING_MODES);

const portPair = v.pipe(
  v.tuple([port, port], (issue) => `expected a pair [local, remote] of ports, got ${issue.received}`),
  v.length(2, (issue) => `expected a pair [local, remote] of ports, got ${issue.received}`),
);

const tlsDelivery = section(
  {
    protocol: withDefault(oneOf(["tls", "tcp"]), "tls", "How stolen TLS traffic is delivered locally."),
    trust_roots: maybe(listOf(str), "PEM files of roots trusted for the local server."),
    server_name: maybe(str, "Server name used when connecting to the local server."),
    server_cert: maybe(str, "PEM file of the exact certificate the local server presents."),
  },
  "Delivery of stolen TLS traffic to the local app (operator only).",
);

const incomingObject = section(
  {
    mode: withDefault(incomingMode, "mirror", "mirror (copy), steal (take) or off."),
    http_filter: withDefault(httpFilterSchema, {}, "Steal only HTTP requests that match."),
    port_mapping: maybe(listOf(portPair), "[[local, remote]] pairs: local port → remote port."),
    listen_ports: maybe(listOf(portPair), "[[app port, port actually bound locally]] pairs."),
    ignore_localhost: withDefault(bool, false, "Do not subscribe sockets bound to localhost."),
    ignore_ports: maybe(listOf(port), "Ports that stay local."),
    ports: maybe(listOf(port), "Only these ports are mirrored/stolen."),
    on_concurrent_steal: withDefault(
      oneOf(["abort", "continue", "override"]),
      "abort",
      "What to do when another session steals the port (operator only).",
    ),
    tls_delivery: maybe(tlsDelivery, "Delivery of stolen TLS traffic (operator only)."),
    https_delivery: maybe(tlsDelivery, "Deprecated alias of tls_delivery."),
  },
  "Incoming traffic.",
);

export type IncomingConfig = v.InferOutput<typeof incomingObject>;

const fromMode = (mode: IncomingMode): IncomingConfig => v.parse(incomingObject, { mode });

export const incomingSchema = byShape(
  {
    boolean: v.pipe(
      bool,
      v.transform((on) => fromMode(on ? "mirror" : "off")),
    ),
    string: v.pipe(incomingMode, v.transform(fromMode)),
    object: incomingObject,
  },
  `true, false, ${INCOMING_MODES.map((m) => `"${m}"`).join(" | ")} or an incoming object`,
);
