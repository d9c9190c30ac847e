/** `feature.copy_target` (operator only): impersonate a copy of the target. `true` | `false` | object. */
import * as v from "valibot";
import { bool, byShape, listOf, maybe, section, str, withDefault } from "../schema-kit.ts";

const copyTargetObject = section(
  {
    enabled: withDefault(bool, true, "Use a copy of the target (default true when this object is given)."),
    scale_down: withDefault(bool, false, "Scale the original deployment to 0 while the copy lives."),
    exclude_containers: maybe(listOf(str), "Containers left out of the copy."),
    exclude_init_containers: maybe(listOf(str), "Init containers left out of the copy."),
  },
  "Copy-target settings.",
);

export type CopyTargetConfig = v.InferOutput<typeof copyTargetObject>;

export const copyTargetSchema = byShape(
  {
    boolean: v.pipe(
      bool,
      v.transform((enabled) => v.parse(copyTargetObject, { enabled })),
    ),
    object: copyTargetObject,
  },
  "true, false or a copy_target object",
);

export const COPY_TARGET_OFF: CopyTargetConfig = v.parse(copyTargetObject, { enabled: false });
