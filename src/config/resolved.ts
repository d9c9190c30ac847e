/**
 * The resolved config handed to the layer and the intproxy (`MIRRORD_RESOLVED_CONFIG`): base64 of
 * its JSON. The resolved shape is itself valid input with nothing left to default, so decoding
 * re-validates it with the same schema and yields the same object.
 */
import * as v from "valibot";
import { ConfigError, defaultIssueMessage, issuesToError } from "./errors.ts";
import { configSchema, type ResolvedConfig } from "./root.ts";

export const RESOLVED_CONFIG_ENV = "MIRRORD_RESOLVED_CONFIG";

function toBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(encoded: string): string {
  const binary = atob(encoded);
  return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

export function serializeForLayer(config: ResolvedConfig): string {
  return toBase64(JSON.stringify(config));
}

export function parseResolved(encoded: string): ResolvedConfig {
  let json: unknown;
  try {
    json = JSON.parse(fromBase64(encoded.trim()));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`${RESOLVED_CONFIG_ENV}: Decoding resolved config failed: ${reason}`);
  }
  const parsed = v.safeParse(configSchema, json, { message: defaultIssueMessage });
  if (!parsed.success) throw issuesToError(parsed.issues, RESOLVED_CONFIG_ENV);
  return parsed.output;
}
