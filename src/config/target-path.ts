/**
 * The target path grammar: `targetless`, `<kind>/<name>[/container/<c>]` and
 * `label/k=v[,k2=v2][/container/<c>]`, plus the object forms of the config file.
 * Both forms resolve to one canonical string (the string grammar), so the resolved config has one shape.
 */
export const TARGET_KINDS = [
  "pod",
  "deployment",
  "rollout",
  "job",
  "cronjob",
  "statefulset",
  "service",
  "replicaset",
] as const;
export type TargetKind = (typeof TARGET_KINDS)[number] | "label";

/**
 * Kinds that need the mirrord operator. mirrord resolves job, cronjob, statefulset, service and replicaset
 * only through its operator; mirrord-ts resolves them itself (src/kube), so only label selection is left.
 */
export const OPERATOR_TARGET_KINDS: readonly TargetKind[] = ["label"];

export type ParsedTarget =
  | { kind: "targetless" }
  | { kind: (typeof TARGET_KINDS)[number]; name: string; container?: string }
  | { kind: "label"; labels: Record<string, string>; container?: string };

const KIND_ALIASES: Record<string, (typeof TARGET_KINDS)[number]> = { deploy: "deployment" };
/** Prefixes of older releases, mapped to today's meaning. */
export const DEPRECATED_TARGET_PREFIXES: Record<string, string> = { podname: "pod" };

const USAGE = [
  "Valid formats are:",
  "  targetless",
  "  pod/<pod>[/container/<container>]",
  "  deployment/<deployment>[/container/<container>]",
  "  rollout/<rollout>[/container/<container>]",
  "  job/<job>[/container/<container>]",
  "  cronjob/<cronjob>[/container/<container>]",
  "  statefulset/<statefulset>[/container/<container>]",
  "  service/<service>[/container/<container>]",
  "  replicaset/<replicaset>[/container/<container>]",
  "  label/<key>=<value>[,<key>=<value>...][/container/<container>]",
].join("\n");

export class TargetSyntaxError extends Error {}

function invalid(reason: string): TargetSyntaxError {
  return new TargetSyntaxError(`invalid target provided \`${reason}\`!\n${USAGE}`);
}

/** Parses the string grammar; throws TargetSyntaxError with the documented text. */
export function parseTargetString(input: string): ParsedTarget {
  if (input === "targetless") return { kind: "targetless" };
  const [prefix = "", ...rest] = input.split("/");
  if (prefix === "label") return parseLabelTarget(input.slice("label/".length));
  const kind = KIND_ALIASES[prefix] ?? (TARGET_KINDS as readonly string[]).find((k) => k === prefix);
  if (kind === undefined || rest.length === 0) {
    return throwUnsupported(input);
  }
  const [name = "", marker, container] = rest;
  if (name === "") throw invalid(`Provided target: ${input} has an empty name.`);
  if (marker === undefined) return { kind: kind as (typeof TARGET_KINDS)[number], name };
  if (marker !== "container" || container === undefined || container === "" || rest.length > 3) {
    throw invalid(
      `Provided target: ${input} is invalid: after the name only \`container/<container>\` may follow.`,
    );
  }
  return { kind: kind as (typeof TARGET_KINDS)[number], name, container };
}

function throwUnsupported(input: string): never {
  throw invalid(
    `Provided target: ${input} is unsupported. Did you remember to add a prefix, e.g. pod/${input}?`,
  );
}

function parseLabelTarget(body: string): ParsedTarget {
  const split = body.lastIndexOf("/container/");
  const selector = split === -1 ? body : body.slice(0, split);
  const container = split === -1 ? undefined : body.slice(split + "/container/".length);
  if (container !== undefined && (container === "" || container.includes("/"))) {
    throw invalid(`Label target container must be a non-empty name without "/".`);
  }
  const labels: Record<string, string> = {};
  for (const part of selector.split(",")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = eq === -1 ? part : part.slice(0, eq);
    if (key === "") throw invalid(`Label target contains an empty key in "${part}".`);
    if (Object.hasOwn(labels, key)) throw invalid(`Label target contains duplicate key "${key}".`);
    labels[key] = eq === -1 ? "" : part.slice(eq + 1);
  }
  if (Object.keys(labels).length === 0) throw invalid("Label target must contain at least one label.");
  return container === undefined ? { kind: "label", labels } : { kind: "label", labels, container };
}

/** The canonical string form, which parses back to the same target. */
export function formatTarget(target: ParsedTarget): string {
  if (target.kind === "targetless") return "targetless";
  const suffix = target.container === undefined ? "" : `/container/${target.container}`;
  if (target.kind === "label") {
    const selector = Object.keys(target.labels)
      .sort()
      .map((key) => `${key}=${target.labels[key]}`)
      .join(",");
    return `label/${selector}${suffix}`;
  }
  return `${target.kind}/${target.name}${suffix}`;
}

/** Object-form keys (snake_case in files) and the kind each one names. */
export const TARGET_OBJECT_KEYS: Record<string, (typeof TARGET_KINDS)[number]> = {
  pod: "pod",
  deployment: "deployment",
  rollout: "rollout",
  job: "job",
  cron_job: "cronjob",
  stateful_set: "statefulset",
  service: "service",
  replica_set: "replicaset",
};

/** Rewrites a deprecated prefix (`podname/x`) to today's; returns undefined when nothing changed. */
export function migrateTargetPrefix(input: string): string | undefined {
  const [prefix = "", ...rest] = input.split("/");
  const replacement = DEPRECATED_TARGET_PREFIXES[prefix];
  return replacement === undefined ? undefined : [replacement, ...rest].join("/");
}
