/** `startup_retry`: retries of the cluster connection during startup. */
import type * as v from "valibot";
import { section, u64, withDefault } from "./schema-kit.ts";

export const startupRetrySchema = section(
  {
    min_ms: withDefault(u64, 500, "First retry delay in milliseconds."),
    max_ms: withDefault(u64, 5000, "Largest retry delay in milliseconds."),
    max_retries: withDefault(u64, 2, "Number of retries (0 disables)."),
  },
  "Retries of the cluster connection during startup.",
);

export type StartupRetryConfig = v.InferOutput<typeof startupRetrySchema>;
