/**
 * The versioned handshake: the first frame each way. The client sends `Hello`; the server answers
 * `HelloOk` or `HelloRejected` and, on rejection, closes the connection.
 *
 * Compatibility: same major version, and the client's minor no newer than the server's (a server
 * understands every message of its own and older minors; messages are append-only within a major).
 */
import { PROTOCOL_VERSION } from "./catalogue.ts";
import type { HelloMessage, Message, RejectReason, Role } from "./types.gen.ts";

export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

export function parseVersion(text: string): Version | null {
  const match = /^(\d{1,9})\.(\d{1,9})\.(\d{1,9})$/.exec(text);
  if (!match) return null;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}

/** Why a client speaking `client` cannot talk to a server speaking `server`, or null when it can. */
export function versionMismatch(client: string, server: string): string | null {
  const c = parseVersion(client);
  const s = parseVersion(server);
  if (!c) return `client protocol version "${client}" is not MAJOR.MINOR.PATCH (server speaks ${server})`;
  if (!s) return `server protocol version "${server}" is not MAJOR.MINOR.PATCH (client speaks ${client})`;
  if (c.major !== s.major)
    return `protocol major version differs: client speaks ${client}, server speaks ${server}`;
  if (c.minor > s.minor)
    return `client protocol ${client} is newer than server protocol ${server}; upgrade the server side`;
  return null;
}

export function helloMessage(role: Role, clientName: string, secret: Uint8Array | null = null): HelloMessage {
  return { type: "Hello", protocolVersion: PROTOCOL_VERSION, role, secret, clientName };
}

/** Compares without an early exit so the time taken does not reveal how much of a guess was right. */
function sameSecret(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

export interface ServerIdentity {
  /** Human-readable version of the serving program, echoed to the client for its diagnostics. */
  readonly serverVersion: string;
  /** When set, only clients presenting exactly this secret are accepted. */
  readonly secret?: Uint8Array | null;
  readonly protocolVersion?: string;
}

/** The server's answer to a client's first frame. */
export function answerHello(first: Message, server: ServerIdentity): Message {
  const protocolVersion = server.protocolVersion ?? PROTOCOL_VERSION;
  const reject = (reason: RejectReason, message: string): Message => ({
    type: "HelloRejected",
    reason,
    message,
  });
  if (first.type !== "Hello")
    return reject("unexpected", `expected Hello as the first message, got ${first.type}`);
  if (server.secret && !(first.secret && sameSecret(first.secret, server.secret)))
    return reject("badSecret", "missing or wrong session secret");
  const mismatch = versionMismatch(first.protocolVersion, protocolVersion);
  if (mismatch) return reject("versionMismatch", mismatch);
  return { type: "HelloOk", protocolVersion, serverVersion: server.serverVersion };
}

export class HandshakeError extends Error {
  override readonly name = "HandshakeError";
}

/** Checks the server's answer on the client side; returns the server's version string. */
export function checkHelloReply(reply: Message, clientVersion = PROTOCOL_VERSION): string {
  if (reply.type === "HelloRejected")
    throw new HandshakeError(`server rejected the handshake (${reply.reason}): ${reply.message}`);
  if (reply.type !== "HelloOk")
    throw new HandshakeError(`expected HelloOk or HelloRejected, got ${reply.type}`);
  const mismatch = versionMismatch(clientVersion, reply.protocolVersion);
  if (mismatch) throw new HandshakeError(mismatch);
  return reply.serverVersion;
}
