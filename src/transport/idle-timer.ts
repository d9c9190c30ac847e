/**
 * "Exit when nobody is connected for a while": fires after `startMs` if no peer ever arrives, and after
 * `idleMs` once the last peer leaves. A peer arriving disarms it.
 */
export interface IdleTimerOptions {
  startMs: number;
  idleMs: number;
  onExpire: (cause: "start" | "idle") => void;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class IdleTimer {
  private peers = 0;
  private handle: unknown = null;
  private readonly setTimer: (callback: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly options: IdleTimerOptions) {
    this.setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    this.clearTimer =
      options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
    this.arm("start", options.startMs);
  }

  get connected(): number {
    return this.peers;
  }

  peerArrived(): void {
    this.peers++;
    this.disarm();
  }

  peerLeft(): void {
    if (this.peers === 0) return;
    this.peers--;
    if (this.peers === 0) this.arm("idle", this.options.idleMs);
  }

  stop(): void {
    this.disarm();
  }

  private arm(cause: "start" | "idle", ms: number): void {
    this.disarm();
    this.handle = this.setTimer(() => {
      this.handle = null;
      this.options.onExpire(cause);
    }, ms);
  }

  private disarm(): void {
    if (this.handle !== null) this.clearTimer(this.handle);
    this.handle = null;
  }
}
