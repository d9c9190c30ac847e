/** Shared by the config tests: load a config from an in-memory file; build files from the field table. */
import type { FieldRow } from "./fields.table.ts";
import { type LoadedConfig, loadConfig } from "./load.ts";

export async function loadText(
  text: string | undefined,
  env: Record<string, string> = {},
  file = "mirrord.json",
): Promise<LoadedConfig> {
  return loadConfig({
    env: text === undefined ? env : { MIRRORD_CONFIG_FILE: file, ...env },
    cwd: "/work",
    readFile: async () => text ?? "",
    readStdin: async () => text ?? "",
    generateKey: () => "abcde",
  });
}

export async function loadError(
  text: string,
  env: Record<string, string> = {},
  file?: string,
): Promise<Error> {
  try {
    await loadText(text, env, file);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`expected the config to be rejected: ${text}`);
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** `{"a": {"b": value}}` for path `a.b`. */
function embed(path: string, value: unknown): Json {
  return path.split(".").reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Json;
}

function merge(base: Json, top: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(top)) {
    const below = out[key];
    out[key] = isObject(below) && isObject(value) ? merge(below, value) : value;
  }
  return out;
}

export function valueAt(config: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), config);
}

/** The file a case writes: the row's context plus `value` at the row's path. */
export function fileFor(row: FieldRow, value?: { write: unknown }): string | undefined {
  const context = row.context ?? {};
  if (value === undefined) return row.context === undefined ? undefined : JSON.stringify(context);
  return JSON.stringify(merge(context, embed(row.path, value.write)));
}
