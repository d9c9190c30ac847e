/**
 * What the transport needs of a connection: node:net's Socket, a NativeStream (Bun's own sockets, see
 * src/platform/bun/native-stream.ts), a resumable stream, or a port-forward all fit. Events: `data`
 * (each read), `end` (the peer's FIN), `drain` (the write backlog emptied), `error`, then `close`.
 */
export interface ByteStream {
  on(event: "data", listener: (chunk: Buffer) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  on(event: "end" | "close" | "drain", listener: () => void): unknown;
  off(event: "data", listener: (chunk: Buffer) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
  off(event: "end" | "close" | "drain", listener: () => void): unknown;
  /** `written` runs once the stream is done with `chunk`. */
  write(chunk: Uint8Array, written?: () => void): unknown;
  /** Sends `last` (if given), then FIN; reading goes on. */
  end(): unknown;
  end(last: Uint8Array): unknown;
  destroy(): unknown;
  pause(): unknown;
  resume(): unknown;
  /** Puts read bytes back: they are the next `data`. */
  unshift(chunk: Uint8Array): void;
  setNoDelay?(noDelay?: boolean): unknown;
  readonly destroyed: boolean;
  /** Bytes written but not yet taken by the kernel (or the carrier below). */
  readonly writableLength: number;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}
