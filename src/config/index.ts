/**
 * The configuration engine: every field of the mirrord config, its shorthands, defaults, file
 * formats, templating, env/flag overrides and verification. Pure TypeScript (runs on Bun and Deno);
 * file access and regex engines are injected by the caller.
 */
export { ENV_RULES, type Env } from "./env-overrides.ts";
export { ConfigError } from "./errors.ts";
export { configJsonSchema } from "./json-schema.ts";
export { type LoadedConfig, type LoadOptions, loadConfig } from "./load.ts";
export { parseResolved, RESOLVED_CONFIG_ENV, serializeForLayer } from "./resolved.ts";
export type { ConfigInput, ResolvedConfig } from "./root.ts";
export { unsupportedFeatures } from "./unsupported.ts";
export type { RegexValidators } from "./verify.ts";
export { type VerifyReport, type VerifyReportOptions, verifyConfigReport } from "./verify-report.ts";
