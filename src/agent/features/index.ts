/** Every feature the agent serves. A new feature (files, DNS, outgoing, incoming) is one more entry. */
import { dnsFeature } from "./dns.ts";
import { envFeature } from "./env.ts";
import { filesFeature } from "./files.ts";
import type { FeatureHandlers } from "./handler.ts";
import { hostnameFeature } from "./hostname.ts";
import { incomingFeature } from "./incoming.ts";
import { outgoingFeature } from "./outgoing.ts";

export const FEATURES: readonly FeatureHandlers[] = [
  envFeature,
  hostnameFeature,
  dnsFeature,
  filesFeature,
  outgoingFeature,
  incomingFeature,
];
