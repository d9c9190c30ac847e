/** `container`: settings of `mirrord container` (unstable). */
import type * as v from "valibot";
import { bool, listOf, maybe, section, str, withDefault } from "./schema-kit.ts";
import { VERSION } from "./version.ts";

export const containerSchema = section(
  {
    cli_image: withDefault(str, `ghcr.io/metalbear-co/mirrord-cli:${VERSION}`, "Image of the sidecar CLI."),
    cli_extra_args: withDefault(listOf(str), [], "Extra args when creating the sidecar container."),
    cli_prevent_cleanup: withDefault(bool, false, "Keep the sidecar container after exit (no --rm)."),
    cli_image_lib_path: maybe(str, "Layer path inside the CLI image."),
    override_host_ip: maybe(str, "Address the sidecar uses to reach the host."),
    host_gateway_detection: withDefault(bool, true, "Detect the host gateway address."),
    cli_tls_path: withDefault(
      str,
      "/opt/mirrord/tls/mirrord-tls.pem",
      "TLS material path inside the sidecar.",
    ),
    platform: maybe(str, "Container platform, e.g. linux/amd64."),
  },
  "Settings of `mirrord container` (unstable).",
);

export type ContainerConfig = v.InferOutput<typeof containerSchema>;
