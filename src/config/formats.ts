/**
 * Parses config text by file extension: `.toml`, `.yaml`/`.yml`, and JSON (with comments and
 * trailing commas) for everything else. Syntax errors carry line and column and, where we can, the fix.
 */

import { load as loadYaml, YAMLException } from "js-yaml";
import { type ParseError, parse as parseJsonc, printParseErrorCode } from "jsonc-parser";
import { parse as parseToml, TomlError } from "smol-toml";
import { ConfigError } from "./errors.ts";

export type ConfigFormat = "json" | "toml" | "yaml";

export function formatOf(path: string): ConfigFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith(".toml")) return "toml";
  if (lower.endsWith(".yaml") || lower.endsWith(".yml")) return "yaml";
  return "json";
}

export function parseConfigText(text: string, format: ConfigFormat, file: string): unknown {
  if (text.trim() === "") return {};
  switch (format) {
    case "toml":
      return parseTomlText(text, file);
    case "yaml":
      return parseYamlText(text, file);
    case "json":
      return parseJsonText(text, file);
  }
}

/** 1-based line and column of a character offset. */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

const JSON_FIXES: Record<string, string> = {
  InvalidEscapeCharacter:
    'JSON strings only allow the escapes \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX; to put a backslash in a regex, double it (write "\\\\." instead of "\\.")',
  PropertyNameExpected: 'field names must be double-quoted strings, e.g. "mode"',
  ValueExpected: "a value is missing here (or a comma is doubled)",
  CommaExpected: "a comma is missing between two entries",
  ColonExpected: 'a ":" is missing between a field name and its value',
  CloseBraceExpected: 'a closing "}" is missing',
  CloseBracketExpected: 'a closing "]" is missing',
  UnexpectedEndOfString: 'a string is not closed with "',
  EndOfFileExpected: "there is text after the end of the top-level object",
};

function parseJsonText(text: string, file: string): unknown {
  const errors: ParseError[] = [];
  const value = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  const [first] = errors;
  if (first !== undefined) {
    const { line, column } = lineColumnAt(text, first.offset);
    const code = printParseErrorCode(first.error);
    const fix = JSON_FIXES[code];
    throw new ConfigError(
      `${file}:${line}:${column}: invalid JSON: ${code}${fix === undefined ? "" : ` (${fix})`}`,
      {
        file,
        line,
        column,
      },
    );
  }
  return value;
}

function parseTomlText(text: string, file: string): unknown {
  try {
    return parseToml(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const reason = error.message.split("\n")[0] ?? "syntax error";
    throw new ConfigError(`${file}:${error.line}:${error.column}: invalid TOML: ${reason}`, {
      file,
      line: error.line,
      column: error.column,
    });
  }
}

/** js-yaml rather than `yaml`: the latter reads process.env on every parse, which Deno forbids without --allow-env. */
function parseYamlText(text: string, file: string): unknown {
  try {
    return loadYaml(text) ?? {};
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    const line = (error.mark?.line ?? 0) + 1;
    const column = (error.mark?.column ?? 0) + 1;
    throw new ConfigError(`${file}:${line}:${column}: invalid YAML: ${error.reason}`, { file, line, column });
  }
}
