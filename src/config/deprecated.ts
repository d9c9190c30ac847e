/**
 * Fields of older releases (the user's older docs still show them), rewritten to today's meaning
 * before validation. Each rewrite adds a deprecation warning; nothing here can fail.
 */
import { migrateTargetPrefix } from "./target-path.ts";

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function child(parent: unknown, ...keys: string[]): Json | undefined {
  let node: unknown = parent;
  for (const key of keys) node = isObject(node) ? node[key] : undefined;
  return isObject(node) ? node : undefined;
}

/** Removed fields with no effect any more: path → why. */
const REMOVED: ReadonlyArray<[string[], string]> = [
  [["pause"], "pausing the target was removed"],
  [["agent", "pause"], "pausing the target was removed"],
  [["agent", "network_interface"], "the agent finds the target's interface itself"],
  [["experimental", "readlink"], "readlink is always hooked"],
];

export interface Migration {
  config: unknown;
  warnings: string[];
}

/** Returns a rewritten copy (the input is not modified). */
export function migrateDeprecated(input: unknown): Migration {
  if (!isObject(input)) return { config: input, warnings: [] };
  const config = structuredClone(input);
  const warnings: string[] = [];
  for (const [path, why] of REMOVED) {
    const parent = child(config, ...path.slice(0, -1));
    const key = path.at(-1) ?? "";
    if (parent && key in parent) {
      delete parent[key];
      warnings.push(`\`${path.join(".")}\` is deprecated and ignored: ${why}.`);
    }
  }
  migrateHeaderFilter(config, warnings);
  migratePullSecrets(config, warnings);
  migrateTarget(config, warnings);
  return { config, warnings };
}

function migrateHeaderFilter(config: Json, warnings: string[]): void {
  const incoming = child(config, "feature", "network", "incoming");
  const old = incoming?.http_header_filter;
  if (incoming === undefined || !isObject(old) || "http_filter" in incoming) return;
  const { filter, ...rest } = old;
  incoming.http_filter = filter === undefined ? rest : { header_filter: filter, ...rest };
  delete incoming.http_header_filter;
  warnings.push(
    "`feature.network.incoming.http_header_filter` is deprecated, use `feature.network.incoming.http_filter` (its `filter` is now `header_filter`).",
  );
}

function migratePullSecrets(config: Json, warnings: string[]): void {
  const agent = child(config, "agent");
  const secrets = agent?.image_pull_secrets;
  if (agent === undefined || !Array.isArray(secrets)) return;
  agent.image_pull_secrets = secrets.map((entry: unknown) => {
    if (!isObject(entry) || "name" in entry) return entry;
    const values = Object.values(entry);
    if (values.length !== 1 || typeof values[0] !== "string") return entry;
    warnings.push(
      `\`agent.image_pull_secrets\` entry ${JSON.stringify(entry)} uses a deprecated form, write {"name": ${JSON.stringify(values[0])}}.`,
    );
    return { name: values[0] };
  });
}

function migrateTarget(config: Json, warnings: string[]): void {
  const rewrite = (value: unknown): string | undefined => {
    if (typeof value !== "string") return undefined;
    const migrated = migrateTargetPrefix(value);
    if (migrated !== undefined)
      warnings.push(`target "${value}" uses a deprecated prefix, write "${migrated}".`);
    return migrated;
  };
  const direct = rewrite(config.target);
  if (direct !== undefined) config.target = direct;
  const target = child(config, "target");
  const nested = rewrite(target?.path);
  if (target !== undefined && nested !== undefined) target.path = nested;
}
