/** `ci`: settings of `mirrord ci`. */
import type * as v from "valibot";
import { maybe, section, str } from "./schema-kit.ts";

export const ciSchema = section(
  { output_dir: maybe(str, "Where background CI runs write stdout/stderr (default /tmp/mirrord/).") },
  "Settings of `mirrord ci`.",
);

export type CiConfig = v.InferOutput<typeof ciSchema>;
