/** `feature.fs`: which file operations go to the target. `true` | `false` | mode string | object. */
import * as v from "valibot";
import {
  bool,
  byShape,
  maybe,
  oneOf,
  section,
  stringList,
  stringMap,
  u64,
  withDefault,
} from "../schema-kit.ts";

export const FS_MODES = ["local", "localwithoverrides", "read", "write"] as const;
export type FsMode = (typeof FS_MODES)[number];
export const fsMode = oneOf(FS_MODES);

const fsObject = section(
  {
    mode: withDefault(fsMode, "read", "Default for paths no pattern matches."),
    read_write: maybe(stringList, "Path regexes read and written remotely."),
    read_only: maybe(stringList, "Path regexes read remotely (writes stay local)."),
    local: maybe(stringList, "Path regexes opened locally."),
    not_found: maybe(stringList, "Path regexes that appear not to exist."),
    mapping: maybe(stringMap, "Path regex → replacement (with $1 / ${name}), applied first."),
    readonly_file_buffer: withDefault(u64, 128_000, "Bytes read ahead for read-only remote files (0 = off)."),
  },
  "File operations.",
);

export type FsConfig = v.InferOutput<typeof fsObject>;

export const fsSchema = byShape(
  {
    boolean: v.pipe(
      bool,
      v.transform((on) => v.parse(fsObject, { mode: on ? "read" : "local" })),
    ),
    string: v.pipe(
      fsMode,
      v.transform((mode) => v.parse(fsObject, { mode })),
    ),
    object: fsObject,
  },
  `true, false, one of ${FS_MODES.map((m) => `"${m}"`).join(" | ")} or an fs object`,
);
