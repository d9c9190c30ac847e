/**
 * Which of the target's environment variables a client gets: a name is returned iff it matches no
 * exclude pattern and at least one include pattern (include = `*` when empty), and is not on mirrord's
 * built-in exclusion list, which applies even to explicitly included names.
 */

/** Variables that describe the target's machine rather than the app; fetching them breaks local runs. */
export const BUILT_IN_EXCLUDES: readonly string[] = [
  "BUNDLER_ORIG_BUNDLER_ORIG_MANPATH",
  "BUNDLER_ORIG_BUNDLER_VERSION",
  "BUNDLER_ORIG_BUNDLE_BIN_PATH",
  "BUNDLER_ORIG_BUNDLE_GEMFILE",
  "BUNDLER_ORIG_GEM_HOME",
  "BUNDLER_ORIG_MANPATH",
  "BUNDLER_ORIG_PATH",
  "BUNDLER_ORIG_RB_USER_INSTALL",
  "BUNDLER_ORIG_RUBYLIB",
  "BUNDLER_ORIG_RUBYOPT",
  "BUNDLER_VERSION",
  "BUNDLE_APP_CONFIG",
  "BUNDLE_BIN_PATH",
  "BUNDLE_FORCE_RUBY_PLATFORM",
  "BUNDLE_GEMFILE",
  "BUNDLE_GEM_PATH",
  "BUNDLE_PATH",
  "BUNDLE_WITHOUT",
  "CATALINA_HOME",
  "CLASSPATH",
  "DOTNET_EnableDiagnostics",
  "DOTNET_STARTUP_HOOKS",
  "GEM_HOME",
  "GEM_PATH",
  "GOPATH",
  "GOMODCACHE",
  "HOME",
  "HOMEPATH",
  "JAVA_EXE",
  "JAVA_HOME",
  "JAVA_TOOL_OPTIONS",
  "PATH",
  "PWD",
  "PYTHONPATH",
  "RUBYLIB",
  "RUBYOPT",
  "MIRRORD_LOG",
  "RUST_LOG",
  "_JAVA_OPTIONS",
];
const builtInExcludes = new Set(BUILT_IN_EXCLUDES);

/**
 * wildmatch-style glob: `*` matches any run of characters (empty included), `?` exactly one, everything
 * else itself, case-sensitively. Hand-written because the npm glob libraries give `/`, `[`, `{` and `!`
 * path meanings that env var patterns must not have. Linear backtracking over the last `*`.
 */
export function globMatches(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starAt = -1;
  let resumeAt = 0;
  while (t < text.length) {
    const c = pattern[p];
    if (c === "*") {
      starAt = p++;
      resumeAt = t;
    } else if (c !== undefined && (c === "?" || c === text[t])) {
      p++;
      t++;
    } else if (starAt !== -1) {
      p = starAt + 1;
      t = ++resumeAt;
    } else {
      return false;
    }
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}

export interface EnvSelection {
  include: readonly string[];
  exclude: readonly string[];
}

export function selectEnv(
  env: ReadonlyMap<string, string>,
  { include, exclude }: EnvSelection,
): [string, string][] {
  const includes = include.length === 0 ? ["*"] : include;
  return [...env].filter(
    ([name]) =>
      !builtInExcludes.has(name) &&
      !exclude.some((pattern) => globMatches(pattern, name)) &&
      includes.some((pattern) => globMatches(pattern, name)),
  );
}

/** Parses `/proc/<pid>/environ`: NUL-separated `K=V`, split on the first `=`; entries without one are skipped. */
export function parseEnviron(raw: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of raw.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}
