/** `host:port` strings as they travel in env vars (`MIRRORD_AGENT_ADDR`, the intproxy's printed address). */

export interface HostPort {
  host: string;
  port: number;
}

/** Parses `host:port` or `[v6]:port`; throws naming `what` and the bad text. */
export function parseHostPort(text: string, what: string): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (!match || !host || port < 1 || port > 65535)
    throw new Error(`${what}: expected host:port (e.g. 127.0.0.1:61337), got "${text}"`);
  return { host, port };
}

/** Decodes a hex session secret; throws naming `what` when it is not an even-length hex string. */
export function parseHexSecret(text: string, what: string): Uint8Array {
  const clean = text.trim();
  if (clean.length === 0 || clean.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(clean))
    throw new Error(`${what}: expected an even number of hex digits, got ${clean.length} characters`);
  return Uint8Array.from(Buffer.from(clean, "hex"));
}
