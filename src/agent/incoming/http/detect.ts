/**
 * Which protocol a stolen connection speaks, judged from its first bytes (agent-kube.md §5.8): the HTTP/2
 * prior-knowledge preface, an HTTP/1.x request line, or anything else. Only the first line is looked at;
 * parsing the request itself is node:http's job.
 */
import type { Socket } from "node:net";

export type DetectedProtocol = "http1" | "h2" | "tcp";

export interface Detection {
  protocol: DetectedProtocol;
  /** Everything read while deciding; the next consumer must see it first. */
  consumed: Buffer;
}

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
/** Method token, target, version; several spaces tolerated as httparse does. */
const REQUEST_LINE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ +[^ \r\n]+ +HTTP\/1\.[01]\r?$/;
const TOKEN_PREFIX = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]*( +[^ \r\n]*( +H?T?T?P?\/?1?\.?[01]?)?)?$/;
/** Longer first lines than this are not worth waiting for: no real client sends them. */
const MAX_REQUEST_LINE = 16 * 1024;

/** Classifies bytes read so far; `undefined` means "need more". Pure, for unit tests. */
export function classify(bytes: Buffer): DetectedProtocol | undefined {
  if (bytes.length === 0) return undefined;
  const prefaceLength = Math.min(bytes.length, H2_PREFACE.length);
  if (bytes.subarray(0, prefaceLength).equals(H2_PREFACE.subarray(0, prefaceLength)))
    return bytes.length >= H2_PREFACE.length ? "h2" : undefined;
  const lineEnd = bytes.indexOf(0x0a);
  if (lineEnd === -1) {
    if (bytes.length > MAX_REQUEST_LINE) return "tcp";
    return TOKEN_PREFIX.test(bytes.toString("latin1")) ? undefined : "tcp";
  }
  return REQUEST_LINE.test(bytes.subarray(0, lineEnd).toString("latin1")) ? "http1" : "tcp";
}

/**
 * Reads from `socket` until the protocol is clear. Each read gets `timeoutMs`; a timeout or the peer
 * ending first means "tcp" (server-first protocols wait here, as in mirrord). The socket is left paused
 * with no listeners of ours.
 */
export function detectProtocol(socket: Socket, timeoutMs: number): Promise<Detection> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (protocol: DetectedProtocol) => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("error", onEnd);
      socket.pause();
      resolve({ protocol, consumed: Buffer.concat(chunks) });
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish("tcp"), timeoutMs);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      const verdict = classify(Buffer.concat(chunks));
      if (verdict) finish(verdict);
      else arm();
    };
    const onEnd = () => finish("tcp");
    socket.on("data", onData);
    socket.once("end", onEnd);
    socket.once("error", onEnd);
    arm();
    socket.resume();
  });
}
