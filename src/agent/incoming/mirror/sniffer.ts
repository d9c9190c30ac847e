/**
 * The capture loop: one packet socket in the agent's network namespace, a kernel filter for the
 * watched ports, and a drain that feeds every captured segment to a `ConnectionTracker`.
 *
 * The socket is non-blocking and drained from the event loop: right away again while packets keep
 * coming, backing off to `IDLE_POLL_MS` when none do. Bursts wait in the kernel queue meanwhile, which
 * is why it is large (`RECEIVE_QUEUE_BYTES`); the kernel counts anything it still had to drop, and those
 * connections end as "lost" instead of handing on a corrupted copy.
 */
import { openPacketSocket, type PacketSocket } from "../../../platform/index.ts";
import type { Logger } from "../../../transport/log.ts";
import { CLIENT_SEGMENT_SNAP, mirrorFilter } from "./bpf.ts";
import { type ConnectionSink, ConnectionTracker, DEFAULT_LIMITS, type TrackerLimits } from "./connections.ts";
import { parseTcpSegment } from "./packet.ts";

const RECEIVE_QUEUE_BYTES = 64 * 1024 * 1024;
/** Packets read per turn of the event loop before yielding to the agent's other work. */
const BATCH_PACKETS = 4096;
const IDLE_POLL_MS = 16;
const HOUSEKEEPING_MS = 1000;

export interface SnifferCounters {
  /** Packets the kernel dropped because the queue was full (connections they belonged to end as lost). */
  readonly kernelDrops: number;
  /** Captured packets that were not a readable TCP segment. */
  readonly malformed: number;
}

export class Sniffer {
  private readonly buffer = new Uint8Array(CLIENT_SEGMENT_SNAP);
  private readonly tracker: ConnectionTracker;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private idleDelayMs = 1;
  private lastHousekeeping = Date.now();
  private kernelDrops = 0;
  private malformed = 0;
  private closed = false;
  private watched: ReadonlySet<number> = new Set();

  private constructor(
    private readonly socket: PacketSocket,
    sink: ConnectionSink,
    private readonly log: Logger,
    limits: TrackerLimits,
  ) {
    this.tracker = new ConnectionTracker(sink, limits);
    this.schedule(0);
  }

  /** Opens the capture (watching no port yet); throws a `PacketSocketError` naming the cause. */
  static open(sink: ConnectionSink, log: Logger, limits: TrackerLimits = DEFAULT_LIMITS): Sniffer {
    return new Sniffer(openPacketSocket(mirrorFilter([]), RECEIVE_QUEUE_BYTES), sink, log, limits);
  }

  /** Captures exactly these ports from now on; connections of ports left out end as "stopped". */
  watch(ports: ReadonlySet<number>): void {
    this.socket.setFilter(mirrorFilter(ports));
    const dropped = [...this.watched].filter((port) => !ports.has(port));
    this.watched = new Set(ports);
    for (const port of dropped) this.tracker.closeAll("stopped", Date.now(), port);
  }

  get counters(): SnifferCounters {
    return { kernelDrops: this.kernelDrops, malformed: this.malformed };
  }

  /** Stops capturing; every followed connection ends as "stopped". */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket.close();
    this.tracker.closeAll("stopped", Date.now());
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => this.drain(), delayMs);
    this.timer.unref();
  }

  private drain(): void {
    if (this.closed) return;
    let packets = 0;
    const now = Date.now();
    try {
      for (; packets < BATCH_PACKETS; packets++) {
        const packet = this.socket.receive(this.buffer);
        if (!packet) break;
        // A client segment's length is known; a server segment was cut after its headers on purpose.
        const bytes = this.buffer.subarray(0, packet.captured);
        const segment = parseTcpSegment(bytes, packet.outgoing ? undefined : packet.length);
        if (segment) this.tracker.accept(segment, packet.outgoing, now);
        else this.malformed++;
      }
    } catch (error) {
      this.log.error("mirroring stopped: the packet socket failed", { error: String(error) });
      this.close();
      return;
    }
    if (now - this.lastHousekeeping >= HOUSEKEEPING_MS) this.housekeeping(now);
    if (packets === BATCH_PACKETS) this.schedule(0);
    else {
      this.idleDelayMs = packets > 0 ? 1 : Math.min(this.idleDelayMs * 2, IDLE_POLL_MS);
      this.schedule(this.idleDelayMs);
    }
  }

  private housekeeping(now: number): void {
    this.lastHousekeeping = now;
    this.tracker.sweep(now);
    const { dropped } = this.socket.statistics();
    if (dropped > 0) {
      this.kernelDrops += dropped;
      this.log.warn("the kernel dropped mirrored packets (queue full); their connections end", { dropped });
    }
  }
}
