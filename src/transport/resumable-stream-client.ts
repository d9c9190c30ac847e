/**
 * The dialling side of resumable streams: opens one over a first connection, and whenever its
 * connection drops dials again (backoff, bounded by attempts and time) and resumes it. The stream is
 * destroyed, with why, when resuming is hopeless: the peer refused, a dial failed for good, or the
 * bounds ran out.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { ByteStream } from "./byte-stream.ts";
import {
  encodeRecord,
  PeerAborted,
  RESUMABLE_MAGIC,
  RecordDecoder,
  ResumableError,
  type ResumableRecord,
  ResumableStream,
  readHandshake,
  sameBytes,
} from "./resumable-stream.ts";

export interface ReconnectPolicy {
  attempts: number;
  firstBackoffMs: number;
  maxBackoffMs: number;
  /** Gives up once this long has passed since the drop. */
  deadlineMs: number;
  /** Per-connection wait for the peer's ACCEPT. */
  handshakeTimeoutMs: number;
}

export const DEFAULT_RECONNECT_POLICY: ReconnectPolicy = {
  attempts: 10,
  firstBackoffMs: 100,
  maxBackoffMs: 2_000,
  deadlineMs: 25_000,
  handshakeTimeoutMs: 10_000,
};

export interface ResumableClientOptions {
  /** A new connection to the server (throws when it cannot be made). */
  dial(): Promise<ByteStream>;
  /** Whether a dial error means no later attempt can succeed (e.g. the peer is gone). */
  isPermanent?(error: Error): boolean;
  policy?: ReconnectPolicy;
  onDropped?(reason: string): void;
  onResumed?(): void;
  onGaveUp?(error: Error): void;
}

/** A refusal from the peer: retrying the same ticket cannot help. */
class Refused extends ResumableError {}

/** Sends the magic and `first`, waits for the answer; the decoder keeps whatever followed it. */
async function handshake(
  carrier: ByteStream,
  first: ResumableRecord,
  timeoutMs: number,
): Promise<{ answer: ResumableRecord; decoder: RecordDecoder }> {
  const decoder = new RecordDecoder();
  carrier.write(RESUMABLE_MAGIC);
  carrier.write(encodeRecord(first));
  try {
    return { answer: await readHandshake(carrier, decoder, timeoutMs, "ACCEPT"), decoder };
  } catch (error) {
    carrier.destroy();
    throw error;
  }
}

/** Opens a stream over a first `dial()`; rejects when that dial or handshake fails. */
export async function openResumable(options: ResumableClientOptions): Promise<ResumableStream> {
  const policy = options.policy ?? DEFAULT_RECONNECT_POLICY;
  const carrier = await options.dial();
  const { answer: accept, decoder } = await handshake(carrier, { type: "open" }, policy.handshakeTimeoutMs);
  if (accept.type !== "accept" || accept.received !== 0) {
    carrier.destroy();
    throw new ResumableError(`expected ACCEPT of a new stream, got ${accept.type.toUpperCase()}`);
  }
  const stream = new ResumableStream({ id: accept.id, token: accept.token });
  stream.attach(carrier, decoder, 0);
  let resuming = false;
  stream.on("parked", (reason: string) => {
    if (resuming) return;
    resuming = true;
    options.onDropped?.(reason);
    void resume(stream, options, policy).finally(() => {
      resuming = false;
    });
  });
  return stream;
}

async function resume(stream: ResumableStream, options: ResumableClientOptions, policy: ReconnectPolicy) {
  const deadline = Date.now() + policy.deadlineMs;
  let lastError: Error = new ResumableError("no attempt made");
  for (let attempt = 0; attempt < policy.attempts && Date.now() < deadline && !stream.destroyed; attempt++) {
    if (attempt > 0) {
      const backoff = Math.min(policy.maxBackoffMs, policy.firstBackoffMs * 2 ** (attempt - 1));
      await sleep(backoff * (0.5 + Math.random() / 2));
    }
    try {
      const carrier = await options.dial();
      const ticket = { id: stream.id, token: stream.token, received: stream.receivedCount };
      const { answer, decoder } = await handshake(
        carrier,
        { type: "resume", ...ticket },
        policy.handshakeTimeoutMs,
      ).catch((error: Error) => {
        // The peer's ABORT (a refusal) cannot change on retry; a closed or silent connection may.
        throw error instanceof PeerAborted ? new Refused(error.message) : error;
      });
      if (answer.type !== "accept" || !sameBytes(answer.id, stream.id)) {
        carrier.destroy();
        throw new Refused(`expected ACCEPT of this stream, got ${answer.type.toUpperCase()}`);
      }
      try {
        stream.attach(carrier, decoder, answer.received);
      } catch (error) {
        carrier.end(encodeRecord({ type: "abort", reason: (error as Error).message }));
        throw new Refused((error as Error).message);
      }
      options.onResumed?.();
      return;
    } catch (error) {
      lastError = error as Error;
      if (error instanceof Refused || options.isPermanent?.(lastError)) break;
    }
  }
  if (stream.destroyed) return;
  const error =
    lastError instanceof Refused
      ? new ResumableError(`the agent refused to resume: ${lastError.message}`)
      : lastError;
  options.onGaveUp?.(error);
  stream.destroy(error);
}
