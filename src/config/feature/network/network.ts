/** `feature.network`: incoming, outgoing and DNS. `true` | `false` | object. */
import * as v from "valibot";
import { bool, byShape, section, withDefault } from "../../schema-kit.ts";
import { dnsSchema } from "./dns.ts";
import { incomingSchema } from "./incoming.ts";
import { outgoingSchema } from "./outgoing.ts";

const networkObject = section(
  {
    incoming: withDefault(incomingSchema, {}, "Incoming traffic: mirror, steal or off."),
    outgoing: withDefault(outgoingSchema, {}, "Outgoing traffic through the target."),
    dns: withDefault(dnsSchema, {}, "DNS resolution through the target."),
    ipv6: withDefault(bool, true, "Support IPv6 sockets."),
  },
  "Network features.",
);

export type NetworkConfig = v.InferOutput<typeof networkObject>;

export const networkSchema = byShape(
  {
    boolean: v.pipe(
      bool,
      v.transform((on) => v.parse(networkObject, on ? {} : { incoming: false, outgoing: false, dns: false })),
    ),
    object: networkObject,
  },
  "true, false or a network object",
);
