/**
 * Renders the raw config text before parsing. Handlebars is the engine; the Tera call syntax the
 * docs use (`{{ get_env(name="X", default="y") }}`, `{{ v | default(value="x") }}`) is rewritten to
 * Handlebars helper calls first, line by line, so error positions still point at the user's line.
 */
import Handlebars from "handlebars";
import { ConfigError } from "./errors.ts";

export interface TemplateContext {
  /** Environment used by `get_env`. */
  env: Readonly<Record<string, string | undefined>>;
  /** Variables: `key`, and `git_branch` when known. */
  vars: Readonly<Record<string, string>>;
}

/** A helper failure; `token` finds the line it came from (helpers do not know their position). */
class HelperError extends Error {
  constructor(
    message: string,
    readonly token: string,
  ) {
    super(message);
  }
}

const FUNCTIONS = ["get_env", "now", "default", "upper", "lower", "trim"] as const;

const ARG = /(\w+)\s*=\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[\w.+-]+)/g;
const CALL = /^(\w+)\s*\(([^)]*)\)$/;
const FILTERED = /^([\w.]+)\s*\|\s*(\w+)(?:\s*\(([^)]*)\))?$/;

function teraArgs(args: string): string {
  return [...args.matchAll(ARG)].map((m) => `${m[1]}=${m[2]}`).join(" ");
}

/** `get_env(name="X")` → `get_env name="X"`; `x | default(value="y")` → `default x value="y"`. */
function teraToHandlebars(expression: string): string {
  const trimmed = expression.trim();
  const call = CALL.exec(trimmed);
  if (call) return ` ${call[1]} ${teraArgs(call[2] ?? "")} `;
  const filtered = FILTERED.exec(trimmed);
  if (filtered) return ` ${filtered[2]} ${filtered[1]} ${teraArgs(filtered[3] ?? "")} `;
  return expression;
}

export function translateTera(text: string): string {
  return text.replace(/\{\{(?!\{)([^{}]*)\}\}/g, (_whole, inner: string) => `{{${teraToHandlebars(inner)}}}`);
}

function createEngine(context: TemplateContext): typeof Handlebars {
  const engine = Handlebars.create();
  engine.registerHelper("get_env", (options: Handlebars.HelperOptions) => {
    const name = options.hash.name;
    if (typeof name !== "string") throw new HelperError('get_env needs name="VARIABLE"', "get_env");
    const value = context.env[name];
    if (value !== undefined) return value;
    if (options.hash.default !== undefined) return String(options.hash.default);
    throw new HelperError(`environment variable "${name}" is not set and get_env has no default`, name);
  });
  engine.registerHelper("now", () => new Date().toISOString());
  engine.registerHelper("default", (value: unknown, options: Handlebars.HelperOptions) =>
    value === undefined || value === null ? options.hash.value : value,
  );
  engine.registerHelper("upper", (value: unknown) => String(value).toUpperCase());
  engine.registerHelper("lower", (value: unknown) => String(value).toLowerCase());
  engine.registerHelper("trim", (value: unknown) => String(value).trim());
  return engine;
}

/** Renders `text`; failures become ConfigErrors naming the file and line. */
export function renderTemplate(text: string, file: string, context: TemplateContext): string {
  if (!text.includes("{{")) return text;
  const source = translateTera(text);
  try {
    return createEngine(context).compile(source, { strict: true, noEscape: true })({ ...context.vars });
  } catch (error) {
    throw templateError(error, file, text);
  }
}

function lineOf(text: string, token: string): number {
  const index = text.split("\n").findIndex((line) => line.includes("{{") && line.includes(token));
  return index === -1 ? Number.NaN : index + 1;
}

function templateError(error: unknown, file: string, text: string): ConfigError {
  const raw = error instanceof Error ? error.message : String(error);
  const detail = error as { lineNumber?: unknown };
  const parseLine = /Parse error on line (\d+)/.exec(raw);
  const line =
    error instanceof HelperError
      ? lineOf(text, error.token)
      : typeof detail.lineNumber === "number"
        ? detail.lineNumber
        : Number(parseLine?.[1] ?? lineOf(text, "{{"));
  const missing = /^"([^"]+)" not defined in/.exec(raw);
  const message = missing
    ? `unknown variable or function "${missing[1]}" (variables: key, git_branch when known; functions: ${FUNCTIONS.join(", ")})`
    : parseLine
      ? "template syntax error (check the {{ … }} expressions on this line)"
      : raw.replace(/ - \d+:\d+$/, "");
  const where = Number.isFinite(line) ? `${file}:${line}` : file;
  return new ConfigError(`${where}: template: ${message}`, {
    file,
    ...(Number.isFinite(line) ? { line } : {}),
  });
}
