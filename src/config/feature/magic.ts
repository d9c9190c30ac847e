/** `feature.magic`: small automatic fixes for common setups. */
import type * as v from "valibot";
import { bool, section, withDefault } from "../schema-kit.ts";

export const magicSchema = section(
  {
    aws: withDefault(bool, true, "Unset AWS_PROFILE and keep ~/.aws local."),
    auto_mount: withDefault(bool, true, "Read the target's volume mounts remotely."),
    turbo: withDefault(bool, true, "Keep Next.js/Turbopack localhost traffic local."),
  },
  "Automatic adjustments for common setups.",
);

export type MagicConfig = v.InferOutput<typeof magicSchema>;
