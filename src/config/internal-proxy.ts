/** `internal_proxy`: the per-session proxy between the layers and the agent. */
import type * as v from "valibot";
import { bool, maybe, section, str, u64, withDefault } from "./schema-kit.ts";

export const internalProxySchema = section(
  {
    start_idle_timeout: withDefault(u64, 60, "Seconds to wait for the first layer to connect."),
    idle_timeout: withDefault(u64, 5, "Seconds without any layer connected before exiting."),
    socket_timeout: withDefault(u64, 31_536_000, "Read/write timeout of the layer's socket, in seconds."),
    ping_interval: withDefault(u64, 30, "Seconds between pings to the agent (at least 1)."),
    log_level: withDefault(str, "mirrord=info,warn", "Log filter (RUST_LOG syntax)."),
    log_destination: maybe(str, "Log file (default: a new file in the temp directory)."),
    json_log: withDefault(bool, true, "Log JSON lines."),
    process_logging_interval: withDefault(u64, 60, "Seconds between logs of the connected processes."),
  },
  "The internal proxy that layers connect to.",
);

export type InternalProxyConfig = v.InferOutput<typeof internalProxySchema>;
