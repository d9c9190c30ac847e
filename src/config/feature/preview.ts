/** `feature.preview` (operator only): preview environments. */
import * as v from "valibot";
import {
  bool,
  byShape,
  i32,
  listOf,
  maybe,
  oneOf,
  section,
  str,
  stringList,
  u64,
  withDefault,
} from "../schema-kit.ts";

const ttl = byShape(
  {
    number: u64,
    string: v.literal("infinite", (issue) => `expected a number or "infinite", got ${issue.received}`),
  },
  'a number or "infinite"',
);

const mount = v.pipe(
  section(
    {
      mount_at: str,
      type: maybe(oneOf(["text", "binary"]), "Payload encoding."),
      payload: maybe(str, "Inline content."),
      from_file: maybe(str, "Local file whose content is mounted."),
    },
    "A file mounted into the preview pod.",
  ),
  v.check(
    (m) => (m.payload === undefined) !== (m.from_file === undefined),
    "give exactly one of payload or from_file",
  ),
);

export const previewSchema = v.pipe(
  section(
    {
      image: maybe(str, "Image of the preview pod."),
      ttl_mins: maybe(ttl, "Lifetime in minutes (default 60)."),
      ttl_secs: maybe(ttl, "Lifetime in seconds."),
      creation_timeout_secs: withDefault(u64, 60, "Seconds to wait for the preview pod."),
      replicas: withDefault(v.pipe(i32, v.minValue(0, "replicas must be 0 or more")), 1, "Preview replicas."),
      labels: maybe(
        v.pipe(
          section(
            { include: maybe(stringList, "Labels kept."), exclude: maybe(stringList, "Labels dropped.") },
            "Labels.",
          ),
          v.check(
            (l) => l.include === undefined || l.exclude === undefined,
            "use either include or exclude, not both",
          ),
        ),
        "Which target labels the preview pod keeps.",
      ),
      idle: maybe(
        section(
          {
            start_idle: withDefault(bool, false, "Start asleep."),
            sleep_after_secs: maybe(
              v.pipe(u64, v.minValue(30, "sleep_after_secs must be at least 30")),
              "Idle seconds before sleeping.",
            ),
            wake_timeout_secs: maybe(
              v.pipe(u64, v.minValue(1, "wake_timeout_secs must not be 0")),
              "Seconds to wait when waking.",
            ),
          },
          "Idle behaviour.",
        ),
        "Idle behaviour.",
      ),
      config_mounts: maybe(listOf(mount), "Config files mounted into the preview pod."),
      secret_mounts: maybe(listOf(mount), "Secret files mounted into the preview pod."),
    },
    "Preview environment settings.",
  ),
  v.check(
    (p) => p.ttl_mins === undefined || p.ttl_secs === undefined,
    "use either ttl_mins or ttl_secs, not both",
  ),
);
