/** `feature`: what the local process gets from the target. */
import type * as v from "valibot";
import { bool, maybe, section, withDefault } from "../schema-kit.ts";
import { copyTargetSchema } from "./copy-target.ts";
import { dbBranchesSchema } from "./db-branches.ts";
import { envSchema } from "./env.ts";
import { fsSchema } from "./fs.ts";
import { magicSchema } from "./magic.ts";
import { networkSchema } from "./network/network.ts";
import { previewSchema } from "./preview.ts";
import { splitQueuesSchema } from "./split-queues.ts";

export const featureSchema = section(
  {
    env: withDefault(envSchema, {}, "Remote environment variables."),
    fs: withDefault(fsSchema, {}, "File operations."),
    network: withDefault(networkSchema, {}, "Network features."),
    copy_target: withDefault(copyTargetSchema, false, "Impersonate a copy of the target (operator only)."),
    hostname: withDefault(bool, true, "gethostname returns the target pod's hostname."),
    split_queues: maybe(splitQueuesSchema, "Queue splitting filters (operator only)."),
    db_branches: maybe(dbBranchesSchema, "Database branches (operator only)."),
    magic: withDefault(magicSchema, {}, "Automatic adjustments for common setups."),
    preview: maybe(previewSchema, "Preview environments (operator only)."),
  },
  "Controls mirrord features.",
);

export type FeatureConfig = v.InferOutput<typeof featureSchema>;
