/**
 * Puts one TCP direction's bytes back in order, as the receiving kernel did: drops retransmitted and
 * overlapping bytes, holds out-of-order segments until the gap fills, follows sequence numbers across
 * the 2^32 wrap, and knows where the stream ends (FIN). It also recognises bytes the capture can never
 * deliver: when the peer acknowledges bytes this stream has not seen, they were lost by the tap.
 */

export type PushResult = "open" | "finished" | "lost";

interface Pending {
  /** Stream offset of the first byte. */
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/** Signed distance from `from` to `to` in 32-bit sequence space. */
function seqDistance(from: number, to: number): number {
  return (to - from) | 0;
}

export class ClientStream {
  /** Sequence number of the next byte to deliver. */
  private nextSeq: number;
  /** Stream offset of the next byte to deliver (= bytes delivered so far). */
  private delivered = 0;
  private readonly pending: Pending[] = [];
  private pendingBytes = 0;
  /** Stream offset the FIN sits at, once seen. */
  private finOffset: number | null = null;
  private state: PushResult = "open";

  /**
   * @param firstSeq sequence number of the first byte to deliver (SYN's seq + 1, or the first segment
   *   seen when joining mid-stream)
   * @param deliver receives each in-order run of bytes; they are its to keep
   * @param maxPendingBytes out-of-order bytes held before the gap is declared lost
   */
  constructor(
    firstSeq: number,
    private readonly deliver: (bytes: Uint8Array) => void,
    private readonly maxPendingBytes: number,
  ) {
    this.nextSeq = firstSeq >>> 0;
  }

  get bytesDelivered(): number {
    return this.delivered;
  }

  /**
   * One segment of this direction: `payload` captured bytes at `seq`, followed by `missingBytes` the
   * capture cut off, and a FIN after them when `fin`.
   */
  push(seq: number, payload: Uint8Array, missingBytes: number, fin: boolean): PushResult {
    if (this.state !== "open") return this.state;
    const offset = this.delivered + seqDistance(this.nextSeq, seq);
    if (fin && this.finOffset === null) this.finOffset = offset + payload.length + missingBytes;
    if (payload.length > 0) this.accept(offset, payload);
    return this.settle();
  }

  /** The other direction acknowledged everything before `ack`: bytes this stream lacks are lost. */
  acknowledged(ack: number): PushResult {
    if (this.state !== "open") return this.state;
    const ahead = seqDistance(this.nextSeq, ack);
    // The FIN takes one sequence number: acknowledging it is not a byte this stream lacks.
    const finAck = this.finOffset !== null && this.delivered === this.finOffset && ahead === 1;
    if (ahead > 0 && !finAck) this.state = "lost";
    return this.state;
  }

  private accept(offset: number, payload: Uint8Array): void {
    const end = offset + payload.length;
    if (end <= this.delivered) return; // a retransmission of bytes already delivered
    if (offset <= this.delivered) {
      this.emit(payload.slice(this.delivered - offset));
      this.drainPending();
      return;
    }
    this.hold(offset, payload);
  }

  /** `bytes` must be this stream's own copy: it is handed on as is. */
  private emit(bytes: Uint8Array): void {
    if (this.finOffset !== null && this.delivered + bytes.length > this.finOffset)
      bytes = bytes.subarray(0, Math.max(0, this.finOffset - this.delivered));
    if (bytes.length === 0) return;
    this.delivered += bytes.length;
    this.nextSeq = (this.nextSeq + bytes.length) >>> 0;
    this.deliver(bytes);
  }

  private hold(offset: number, payload: Uint8Array): void {
    let index = this.pending.findIndex((entry) => entry.offset > offset);
    if (index === -1) index = this.pending.length;
    const previous = this.pending[index - 1];
    // Same start as a held segment: keep whichever covers more.
    if (previous && previous.offset === offset) {
      if (previous.bytes.length >= payload.length) return;
      this.pendingBytes -= previous.bytes.length;
      this.pending.splice(index - 1, 1);
      index -= 1;
    }
    this.pending.splice(index, 0, { offset, bytes: payload.slice() });
    this.pendingBytes += payload.length;
    if (this.pendingBytes > this.maxPendingBytes) this.state = "lost";
  }

  private drainPending(): void {
    while (this.pending.length > 0) {
      const first = this.pending[0] as Pending;
      if (first.offset > this.delivered) return;
      this.pending.shift();
      this.pendingBytes -= first.bytes.length;
      const end = first.offset + first.bytes.length;
      if (end > this.delivered) this.emit(first.bytes.subarray(this.delivered - first.offset));
    }
  }

  private settle(): PushResult {
    if (this.state === "open" && this.finOffset !== null && this.delivered >= this.finOffset) {
      this.state = "finished";
      this.pending.length = 0;
      this.pendingBytes = 0;
    }
    return this.state;
  }
}
