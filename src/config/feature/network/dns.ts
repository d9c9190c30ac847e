/** `feature.network.dns`: resolve names through the target. `true` | `false` | object. */
import * as v from "valibot";
import { bool, byShape, maybe, section, withDefault } from "../../schema-kit.ts";
import { sideFilter } from "./outgoing.ts";

const dnsObject = section(
  {
    enabled: withDefault(bool, true, "Resolve DNS in the target."),
    filter: maybe(sideFilter("names"), "[name|ip|ip/mask][:port] entries, remote or local."),
  },
  "DNS resolution.",
);

export type DnsConfig = v.InferOutput<typeof dnsObject>;

export const dnsSchema = byShape(
  {
    boolean: v.pipe(
      bool,
      v.transform((enabled): DnsConfig => ({ enabled })),
    ),
    object: dnsObject,
  },
  "true, false or a dns object",
);
