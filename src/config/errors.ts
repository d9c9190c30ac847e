/** The one error type of the config engine: every message names a field path, an env var, or a file line. */
import * as v from "valibot";

export interface ConfigErrorLocation {
  /** Dotted field path, e.g. `feature.network.incoming.mode`. */
  path?: string;
  /** 1-based line in the config file. */
  line?: number;
  /** 1-based column in the config file. */
  column?: number;
  /** The file the error is in. */
  file?: string;
}

export class ConfigError extends Error {
  readonly path: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly file: string | undefined;

  constructor(message: string, location: ConfigErrorLocation = {}) {
    super(message);
    this.name = "ConfigError";
    this.path = location.path;
    this.line = location.line;
    this.column = location.column;
    this.file = location.file;
  }
}

/** Joins several problems into one error; the first one's location is kept. */
export function combineErrors(errors: readonly ConfigError[]): ConfigError {
  const [first] = errors;
  if (first === undefined) return new ConfigError("invalid configuration");
  if (errors.length === 1) return first;
  return new ConfigError(errors.map((e) => e.message).join("\n"), first);
}

/** `feature.network.incoming.mode: expected …, got …` for every issue valibot found. */
export function issuesToError(issues: readonly v.BaseIssue<unknown>[], prefix = ""): ConfigError {
  return combineErrors(
    issues.map((issue) => {
      const dotted = v.getDotPath(issue);
      const path = [prefix, dotted].filter((part) => part !== null && part !== "").join(".");
      const label = path === "" ? "config" : path;
      return new ConfigError(`${label}: ${issue.message}`, { path: label });
    }),
  );
}

/** Fallback text for issues whose schema has no message of its own. */
export function defaultIssueMessage(issue: v.BaseIssue<unknown>): string {
  return `expected ${issue.expected ?? "a valid value"}, got ${issue.received}`;
}
