/**
 * Leveled logging for the agent (stderr) and the intproxy (its log file): plain text or one JSON object
 * per line. The sink is a function so the caller decides where lines go.
 */
import type { LogLevel } from "../protocol/index.ts";

const SEVERITY: Readonly<Record<LogLevel, number>> = { error: 1, warn: 2, info: 3, debug: 4, trace: 5 };
const isLevel = (word: string): word is LogLevel => Object.hasOwn(SEVERITY, word);

/**
 * Reads a level from a plain word (`debug`) or a RUST_LOG-style directive list (`mirrord=debug,warn`):
 * a directive for a `mirrord…` target wins over a bare level; `off` silences everything but errors.
 * Returns null when nothing in `spec` names a level.
 */
export function parseLogLevel(spec: string | undefined): LogLevel | null {
  if (!spec) return null;
  let bare: LogLevel | null = null;
  let ours: LogLevel | null = null;
  for (const directive of spec.split(",")) {
    const [target, level] = directive.includes("=") ? directive.split("=", 2) : ["", directive];
    const word = (level ?? "").trim().toLowerCase();
    const normalized = word === "off" ? "error" : word;
    if (!isLevel(normalized)) continue;
    if ((target ?? "").trim().startsWith("mirrord")) ours = normalized;
    else if ((target ?? "").trim() === "") bare = normalized;
  }
  return ours ?? bare;
}

export type LogFields = Readonly<Record<string, string | number | boolean>>;

export interface LoggerOptions {
  level: LogLevel;
  json: boolean;
  /** Names the component in every line, e.g. `agent`. */
  target: string;
  write: (line: string) => void;
  now?: () => Date;
}

export class Logger {
  constructor(private readonly options: LoggerOptions) {}

  enabled(level: LogLevel): boolean {
    return SEVERITY[level] <= SEVERITY[this.options.level];
  }

  log(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (!this.enabled(level)) return;
    const { json, target, write, now = () => new Date() } = this.options;
    const timestamp = now().toISOString();
    if (json) {
      write(`${JSON.stringify({ timestamp, level: level.toUpperCase(), target, message, ...fields })}\n`);
      return;
    }
    const extra = Object.entries(fields)
      .map(([key, value]) => ` ${key}=${JSON.stringify(value)}`)
      .join("");
    write(`${timestamp} ${level.toUpperCase().padStart(5)} ${target}: ${message}${extra}\n`);
  }

  error(message: string, fields?: LogFields): void {
    this.log("error", message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.log("warn", message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.log("info", message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    this.log("debug", message, fields);
  }
  trace(message: string, fields?: LogFields): void {
    this.log("trace", message, fields);
  }
}
