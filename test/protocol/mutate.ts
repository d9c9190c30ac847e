/**
 * Deterministic frame mutator, the exact twin of the one in layer/test/protocol_fuzz.c: the same seed
 * and vectors give the same frames in both, so the TS and C decoders can be held to identical verdicts.
 */
export class XorShift32 {
  constructor(private state: number) {
    if (state === 0) throw new Error("xorshift32 seed must not be 0");
  }
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
  below(n: number): number {
    return this.next() % n;
  }
}

const putU32 = (buf: Uint8Array, at: number, v: number): void => {
  for (let i = 0; i < 4; i++) buf[at + i] = (v >>> (8 * i)) & 0xff;
};

/** Produces mutated frames from the vectors (the C twin: `mutate()` in protocol_fuzz.c). */
export class Mutator {
  private readonly rng: XorShift32;
  private readonly buf: Uint8Array;

  constructor(
    private readonly vectors: readonly Uint8Array[],
    seed: number,
  ) {
    this.rng = new XorShift32(seed);
    this.buf = new Uint8Array(2 * Math.max(...vectors.map((v) => v.length)) + 80);
  }

  /** The next mutated frame; the returned view is overwritten by the following call. */
  next(): Uint8Array {
    const { rng, vectors, buf } = this;
    const base = vectors[rng.below(vectors.length)] as Uint8Array;
    buf.set(base);
    let len = base.length;
    switch (rng.below(8)) {
      case 0:
        for (let k = 1 + rng.below(4); k > 0; k--) {
          const at = rng.below(len);
          buf[at] = (buf[at] as number) ^ (1 << rng.below(8));
        }
        break;
      case 1:
        for (let k = 1 + rng.below(4); k > 0; k--) {
          const at = rng.below(len);
          buf[at] = rng.below(256);
        }
        break;
      case 2:
        len = rng.below(len);
        break;
      case 3:
        for (let k = 1 + rng.below(16); k > 0; k--) buf[len++] = rng.below(256);
        break;
      case 4: {
        const choice = rng.below(4);
        const lie =
          choice === 0
            ? len - 4 + rng.below(9) - 4
            : choice === 1
              ? rng.next()
              : choice === 2
                ? 0x1000000 + rng.below(16)
                : rng.below(16);
        putU32(buf, 0, lie >>> 0);
        break;
      }
      case 5: {
        if (len < 18) break;
        const at = 14 + rng.below(len - 17);
        const choice = rng.below(3);
        putU32(buf, at, choice === 0 ? rng.next() : choice === 1 ? rng.below(64) : 0xffffffff);
        break;
      }
      case 6: {
        const other = vectors[rng.below(vectors.length)] as Uint8Array;
        const cut = rng.below(len + 1);
        const from = rng.below(other.length + 1);
        buf.set(other.subarray(from), cut);
        len = cut + other.length - from;
        break;
      }
      default: {
        len = rng.below(64);
        for (let i = 0; i < len; i++) buf[i] = rng.below(256);
        if (len >= 6 && rng.below(2) === 0) {
          putU32(buf, 0, len - 4);
          const donor = vectors[rng.below(vectors.length)] as Uint8Array;
          buf[4] = donor[4] as number;
          buf[5] = donor[5] as number;
        }
      }
    }
    return buf.subarray(0, len);
  }
}

/** FNV-1a over the verdict lines, the same fold the C harness prints. */
export class VerdictDigest {
  private hash = 0x811c9dc5;
  add(verdict: string, offset: number): void {
    const line = `${verdict}:${offset}\n`;
    for (let i = 0; i < line.length; i++)
      this.hash = Math.imul(this.hash ^ line.charCodeAt(i), 0x01000193) >>> 0;
  }
  get hex(): string {
    return this.hash.toString(16).padStart(8, "0");
  }
}
