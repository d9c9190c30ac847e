/** Turning the target's variables into the ones the program gets (layer.md §7, cli-config.md §6.1 9e). */

export interface EnvFeature {
  include?: readonly string[];
  exclude?: readonly string[];
  override?: Readonly<Record<string, string>>;
  mapping?: Readonly<Record<string, string>>;
  env_file?: string;
}

/** What to ask the agent for: only-exclude, only-include, or everything (`*`). */
export function envRequestOf(feature: EnvFeature): { include: string[]; exclude: string[] } {
  return {
    include: feature.include?.length ? [...feature.include] : ["*"],
    exclude: [...(feature.exclude ?? [])],
  };
}

export interface ComposeInputs {
  fetched: Record<string, string>;
  /** Parsed `env_file` entries (dotenv), applied over the fetched values. */
  envFile: Record<string, string>;
  feature: EnvFeature;
  /** Whether a name matches a `mapping` regex (fancy-regex semantics, unanchored search). */
  nameMatches: (pattern: string, name: string) => boolean;
}

/** fetched → env_file on top → mapping rewrites values of present vars → override on top. */
export function composeRemoteEnv({
  fetched,
  envFile,
  feature,
  nameMatches,
}: ComposeInputs): Record<string, string> {
  const env = { ...fetched, ...envFile };
  const mapping = Object.entries(feature.mapping ?? {});
  if (mapping.length > 0) {
    for (const name of Object.keys(env)) {
      const rule = mapping.find(([pattern]) => nameMatches(pattern, name));
      if (rule) env[name] = rule[1];
    }
  }
  return { ...env, ...(feature.override ?? {}) };
}
