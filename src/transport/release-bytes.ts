/**
 * Hands a relayed chunk's memory back at once instead of leaving it to the garbage collector, which
 * under a bulk transfer lets a hundred MiB of dead 512 KiB chunks pile up (the agent runs under a
 * 100 MiB memory limit). Detaching an ArrayBuffer (`transfer(0)`) frees its store and empties every
 * view of it, so this is only for bytes nothing reads any more; bytes that are a slice of a larger
 * buffer (a pooled or shared one) are left alone.
 */

/** Below this, a chunk is not worth a release: the collector keeps up with small garbage. */
export const RELEASE_MIN_BYTES = 64 << 10;

type Transferable = ArrayBuffer & { transfer?: (length: number) => ArrayBuffer; detached?: boolean };

export function releaseBytes(bytes: Uint8Array): void {
  const buffer = bytes.buffer as Transferable;
  if (bytes.byteLength < RELEASE_MIN_BYTES || bytes.byteOffset !== 0) return;
  if (bytes.byteLength !== buffer.byteLength || buffer.detached || !buffer.transfer) return;
  buffer.transfer(0);
}
