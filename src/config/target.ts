/** `target`: what to impersonate. String, path object, or `{path, namespace}`; resolves to `{path?, namespace?}`. */
import * as v from "valibot";
import { byShape, maybe, section, str, stringMap } from "./schema-kit.ts";
import { formatTarget, parseTargetString, TARGET_OBJECT_KEYS, TargetSyntaxError } from "./target-path.ts";

const targetString = v.pipe(
  str,
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    try {
      return formatTarget(parseTargetString(dataset.value));
    } catch (error) {
      if (!(error instanceof TargetSyntaxError)) throw error;
      addIssue({ message: error.message });
      return NEVER;
    }
  }),
);

const container = maybe(str, "Container inside the target's pods (default: the first non-mesh container).");

const kindObjects = new Map(
  Object.entries(TARGET_OBJECT_KEYS).map(([key, kind]) => [
    key,
    v.pipe(
      section({ [key]: str, container }, `A ${kind} target.`),
      v.transform((value) => {
        const record = value as Record<string, string | undefined>;
        const c = record.container;
        return formatTarget({ kind, name: record[key] ?? "", ...(c === undefined ? {} : { container: c }) });
      }),
    ),
  ]),
);

const labelObject = v.pipe(
  section({ labels: stringMap, container }, "A label-selector target (operator only)."),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const { labels, container: c } = dataset.value;
    if (Object.keys(labels).length === 0) {
      addIssue({ message: "invalid target provided `Label target must contain at least one label.`!" });
      return NEVER;
    }
    return formatTarget({ kind: "label", labels, ...(c === undefined ? {} : { container: c }) });
  }),
);

const OBJECT_KEYS = [...kindObjects.keys(), "labels"];

function pathObjectFor(input: Record<string, unknown>): v.GenericSchema<unknown, string> | undefined {
  if ("labels" in input) return labelObject as v.GenericSchema<unknown, string>;
  const key = Object.keys(input).find((k) => kindObjects.has(k));
  return key === undefined ? undefined : kindObjects.get(key);
}

const anyPathObject = v.union([...kindObjects.values(), labelObject]);

/** The path in any accepted form, resolved to its canonical string. */
export const targetPath = v.pipe(
  byShape(
    { string: targetString, object: anyPathObject },
    `"targetless", "<kind>/<name>[/container/<c>]" or an object with one of ${OBJECT_KEYS.join(", ")}`,
    pathObjectFor,
  ),
  v.description('What to impersonate: "targetless", "pod/x", "deployment/x/container/c", {"pod": "x"}, …'),
);

const targetObject = section(
  {
    path: maybe(targetPath, "What to impersonate. Absent = targetless."),
    namespace: maybe(str, "Namespace of the target (default: the kube context's namespace)."),
  },
  "Target and its namespace.",
);

const targetFromPath = v.pipe(
  targetPath,
  v.transform((path): v.InferOutput<typeof targetObject> => ({ path })),
);

export const targetSchema = v.pipe(
  byShape(
    { string: targetFromPath, object: targetObject },
    'a target string such as "pod/x", a path object, or {"path": …, "namespace": …}',
    (input) =>
      "path" in input || "namespace" in input || Object.keys(input).length === 0
        ? targetObject
        : targetFromPath,
  ),
  v.description("Specifies the target and namespace to impersonate."),
);

export type TargetConfig = v.InferOutput<typeof targetObject>;
