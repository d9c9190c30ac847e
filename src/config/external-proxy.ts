/** `external_proxy`: the host-side proxy of `mirrord container` flows. */
import type * as v from "valibot";
import { bool, maybe, section, str, u64, withDefault } from "./schema-kit.ts";

export const externalProxySchema = section(
  {
    tls_enable: withDefault(bool, true, "TLS between the sidecar and the external proxy."),
    start_idle_timeout: withDefault(u64, 60, "Seconds to wait for the first connection."),
    idle_timeout: withDefault(u64, 5, "Seconds without connections before exiting."),
    log_level: withDefault(str, "mirrord=info,warn", "Log filter (RUST_LOG syntax)."),
    log_destination: maybe(str, "Log file (default: a new file in the temp directory)."),
    json_log: withDefault(bool, true, "Log JSON lines."),
    host_ip: maybe(str, "IP the external proxy binds."),
  },
  "The external proxy used by `mirrord container`.",
);

export type ExternalProxyConfig = v.InferOutput<typeof externalProxySchema>;
