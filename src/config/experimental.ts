/** `experimental`: switches not meant for general use. */
import type * as v from "valibot";
import { anyObject, bool, maybe, section, str, u64, withDefault } from "./schema-kit.ts";

export const experimentalSchema = section(
  {
    tcp_ping4_mock: withDefault(bool, true, "Fake ICMP ping sockets so ping-based health checks work."),
    trust_any_certificate: withDefault(bool, false, "macOS: trust any certificate."),
    enable_exec_hooks_linux: withDefault(bool, true, "Hook exec on Linux."),
    hide_ipv6_interfaces: withDefault(bool, false, "Hide IPv6 interfaces from getifaddrs."),
    disable_reuseaddr: maybe(bool, "Drop SO_REUSEADDR on subscribed sockets."),
    use_dev_null: withDefault(bool, true, "Use /dev/null for local placeholder files."),
    idle_local_http_connection_timeout: withDefault(
      u64,
      3000,
      "Milliseconds an idle local HTTP connection is kept.",
    ),
    ignore_system_proxy_config: withDefault(bool, false, "Ignore system proxy settings."),
    browser_extension_config: withDefault(bool, false, "Configure the mirrord browser extension."),
    sip_log_destination: maybe(str, "macOS SIP patching log file."),
    non_blocking_tcp_connect: withDefault(bool, true, "Deprecated; always on."),
    dlopen_cgo: withDefault(bool, false, "Hook dlopen'ed cgo libraries."),
    latency: withDefault(
      section(
        {
          transmit_delay: withDefault(u64, 0, "Milliseconds added to sends."),
          receive_delay: withDefault(u64, 0, "Milliseconds added to receives."),
        },
        "Artificial latency (deprecated).",
      ),
      {},
      "Artificial latency (deprecated).",
    ),
    applev: maybe(anyObject, "macOS applev settings."),
    sip_utils: withDefault(bool, true, "Deprecated; always on."),
    go_asmcgocall: maybe(bool, "Go asmcgocall hooks."),
    guard_std_fds: maybe(bool, "Never let stdin/stdout/stderr become remote fds."),
  },
  "Experimental switches; only use when asked to.",
);

export type ExperimentalConfig = v.InferOutput<typeof experimentalSchema>;
