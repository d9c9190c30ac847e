/**
 * Back-pressure between a socket and a protocol link, used by the agent and the intproxy: a producer
 * pauses while the link has too much unsent, and a slow writer stops the link's reading until it drains.
 */
import type { Readable } from "node:stream";

/** Unflushed bytes on a link above which reading the source of its data pauses. */
export const LINK_BACKLOG_LIMIT = 4 << 20;

export interface OutboundLink {
  backlog(): number;
  whenDrained(callback: () => void): void;
}

export interface InboundLink {
  holdInput(): void;
  releaseInput(): void;
}

/** Reads `source` (bytes) into `send` without letting `link`'s unsent backlog grow past the limit. */
export function forwardPaced(
  source: Pick<Readable, "on" | "pause" | "resume">,
  link: OutboundLink,
  send: (data: Buffer) => void,
): void {
  source.on("data", (data: string | Buffer) => {
    if (typeof data === "string") throw new TypeError("HTTP bodies are read as bytes");
    send(data);
    if (link.backlog() > LINK_BACKLOG_LIMIT) {
      source.pause();
      link.whenDrained(() => source.resume());
    }
  });
}

/** Targets that refused a write and have not drained yet: each holds its link once. */
const waitingForDrain = new WeakSet<object>();

/** Writes a chunk that came over `link`; a target that cannot take it holds `link`'s input until it
 * drains, or closes (node does not always emit `drain` once a stream has ended, and a connection
 * refused while bytes waited for it never drains). A target already destroyed holds nothing. */
export function writePaced(
  target: {
    readonly destroyed?: boolean;
    write(data: Uint8Array): boolean;
    once(event: "drain" | "close", listener: () => void): unknown;
    off(event: "drain" | "close", listener: () => void): unknown;
  },
  link: InboundLink,
  data: Uint8Array,
): void {
  if (target.write(data) || target.destroyed || waitingForDrain.has(target)) return;
  waitingForDrain.add(target);
  link.holdInput();
  const release = () => {
    target.off("drain", release);
    target.off("close", release);
    waitingForDrain.delete(target);
    link.releaseInput();
  };
  target.once("drain", release);
  target.once("close", release);
}
