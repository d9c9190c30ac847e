/** The whole configuration file: every section, with defaults, as one schema. */
import type * as v from "valibot";
import { agentSchema } from "./agent.ts";
import { ciSchema } from "./ci.ts";
import { containerSchema } from "./container.ts";
import { experimentalSchema } from "./experimental.ts";
import { externalProxySchema } from "./external-proxy.ts";
import { featureSchema } from "./feature/feature.ts";
import { internalProxySchema } from "./internal-proxy.ts";
import { bool, maybe, section, socketAddress, str, stringList, withDefault } from "./schema-kit.ts";
import { startupRetrySchema } from "./startup-retry.ts";
import { targetSchema } from "./target.ts";

export const configSchema = section(
  {
    accept_invalid_certificates: maybe(bool, "Accept invalid TLS certificates (default: the kubeconfig's)."),
    skip_processes: maybe(stringList, "Executables the layer leaves alone (name or argv[0] basename)."),
    skip_build_tools: withDefault(bool, true, "Leave common build tools (cc, go, cargo…) alone."),
    skip_extra_build_tools: maybe(stringList, "More build tools to leave alone (needs skip_build_tools)."),
    operator: maybe(bool, "Use the mirrord operator: true = require, false = never, unset = try."),
    multi_cluster: maybe(bool, "Multi-cluster sessions (operator only)."),
    api: withDefault(bool, true, "Serve the session-monitor API."),
    profile: maybe(str, "Operator profile to apply (operator only)."),
    kubeconfig: maybe(str, "kubeconfig path (default KUBECONFIG, ~/.kube/config, in-cluster)."),
    kube_context: maybe(str, "kubeconfig context (default: the current one)."),
    sip_binaries: maybe(stringList, "macOS: binaries to SIP-patch (suffix match)."),
    skip_sip: withDefault(stringList, ["git"], "macOS: binaries never SIP-patched."),
    telemetry: withDefault(bool, true, "Send anonymous usage telemetry."),
    use_proxy: withDefault(bool, true, "Use HTTP(S)_PROXY for cluster calls."),
    key: maybe(str, "Session key (default: generated)."),
    traceparent: maybe(str, "W3C traceparent for operator tracing."),
    baggage: maybe(str, "W3C baggage for operator tracing."),
    connect_tcp: maybe(socketAddress, "IP:PORT of an already running agent; skips Kubernetes (for testing)."),
    target: withDefault(targetSchema, {}, "What to impersonate and its namespace."),
    agent: withDefault(agentSchema, {}, "The agent spawned in the cluster."),
    feature: withDefault(featureSchema, {}, "What the local process gets from the target."),
    container: withDefault(containerSchema, {}, "`mirrord container` settings."),
    internal_proxy: withDefault(internalProxySchema, {}, "The internal proxy."),
    external_proxy: withDefault(externalProxySchema, {}, "The external proxy."),
    experimental: withDefault(experimentalSchema, {}, "Experimental switches."),
    startup_retry: withDefault(startupRetrySchema, {}, "Startup connection retries."),
    ci: withDefault(ciSchema, {}, "`mirrord ci` settings."),
  },
  "mirrord configuration.",
);

export type ResolvedConfig = v.InferOutput<typeof configSchema>;
export type ConfigInput = v.InferInput<typeof configSchema>;
