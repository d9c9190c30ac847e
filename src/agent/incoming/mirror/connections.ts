/**
 * Follows the TCP connections of mirrored ports from their sniffed segments and reports, per
 * connection, what the client sent: opened (handshake completed, or joined mid-stream at the first
 * data seen), in-order bytes, the client's FIN, and the end (both FINs, a RST, bytes the capture lost,
 * a new SYN on the same addresses, or silence).
 */
import { ClientStream, type PushResult } from "./client-stream.ts";
import type { TcpSegment } from "./packet.ts";

export interface Endpoint {
  /** 4 bytes (IPv4) or 16 (IPv6). */
  readonly ip: Uint8Array;
  readonly port: number;
}

export type CloseReason = "finished" | "reset" | "lost" | "replaced" | "idle" | "stopped";

/** Receives each connection's story, in order. `id`s are never reused by one tracker. */
export interface ConnectionSink {
  opened(id: number, client: Endpoint, server: Endpoint): void;
  /** In-order client→server bytes, the sink's to keep. */
  data(id: number, bytes: Uint8Array): void;
  /** The client shut down writing: no more data will come. */
  clientFinished(id: number): void;
  closed(id: number, reason: CloseReason): void;
}

export interface TrackerLimits {
  /** Out-of-order bytes held per connection before its gap counts as lost. */
  readonly maxPendingBytes: number;
  /** Connections followed at once; segments of further new connections are ignored. */
  readonly maxConnections: number;
  /** A connection with no segment for this long is closed as idle. */
  readonly idleMs: number;
}

export const DEFAULT_LIMITS: TrackerLimits = {
  maxPendingBytes: 4 * 1024 * 1024,
  maxConnections: 10_000,
  idleMs: 10 * 60_000,
};

/** How long a closed connection's addresses ignore stray segments (retransmits after the end). */
const LINGER_MS = 60_000;
const MAX_LINGERING = 10_000;

interface Connection {
  readonly id: number;
  readonly client: Endpoint;
  readonly server: Endpoint;
  /** Sequence number of the client's SYN, when the handshake was seen. */
  readonly synSeq: number | null;
  readonly stream: ClientStream;
  opened: boolean;
  clientFinished: boolean;
  serverFinished: boolean;
  lastSeenMs: number;
}

function addressKey(ip: Uint8Array, port: number): string {
  return `${ip.join(".")}:${port}`;
}

export class ConnectionTracker {
  private readonly connections = new Map<string, Connection>();
  /** Recently closed connection keys → until when they linger. Insertion order = expiry order. */
  private readonly lingering = new Map<string, number>();
  private nextId = 1;

  constructor(
    private readonly sink: ConnectionSink,
    private readonly limits: TrackerLimits = DEFAULT_LIMITS,
  ) {}

  get size(): number {
    return this.connections.size;
  }

  /** A sniffed segment; `fromServer` when it left this namespace from the mirrored port. */
  accept(segment: TcpSegment, fromServer: boolean, nowMs: number): void {
    if (fromServer) this.acceptFromServer(segment, nowMs);
    else this.acceptFromClient(segment, nowMs);
  }

  /** Closes connections that have been silent for longer than `idleMs`, and forgets old closes. */
  sweep(nowMs: number): void {
    for (const [key, connection] of this.connections)
      if (nowMs - connection.lastSeenMs > this.limits.idleMs) this.close(key, connection, "idle", nowMs);
    for (const [key, until] of this.lingering) {
      if (until > nowMs) break;
      this.lingering.delete(key);
    }
  }

  /** Ends every connection (whose port is no longer mirrored, when `port` is given). */
  closeAll(reason: CloseReason, nowMs: number, port?: number): void {
    for (const [key, connection] of this.connections)
      if (port === undefined || connection.server.port === port) this.close(key, connection, reason, nowMs);
  }

  private acceptFromClient(segment: TcpSegment, nowMs: number): void {
    const client = { ip: segment.sourceIp, port: segment.sourcePort };
    const server = { ip: segment.destinationIp, port: segment.destinationPort };
    const key = `${addressKey(client.ip, client.port)}>${addressKey(server.ip, server.port)}`;
    let connection = this.connections.get(key);
    if (connection && segment.flags.syn && connection.synSeq !== segment.seq) {
      this.close(key, connection, "replaced", nowMs);
      connection = undefined;
    }
    if (!connection) {
      connection = this.start(key, client, server, segment, nowMs);
      if (!connection) return;
    }
    connection.lastSeenMs = nowMs;
    if (segment.flags.rst) {
      this.close(key, connection, "reset", nowMs);
      return;
    }
    // A bare SYN waits: the connection opens when the client's next segment shows the handshake completed.
    if (segment.flags.syn && segment.payload.length === 0) return;
    if (!connection.opened) {
      connection.opened = true;
      this.sink.opened(connection.id, connection.client, connection.server);
    }
    // A SYN's data (TCP Fast Open) starts after the SYN's own sequence number.
    const seq = segment.flags.syn ? (segment.seq + 1) >>> 0 : segment.seq;
    const result = connection.stream.push(seq, segment.payload, segment.missingBytes, segment.flags.fin);
    this.follow(key, connection, result, nowMs);
  }

  private acceptFromServer(segment: TcpSegment, nowMs: number): void {
    const key = `${addressKey(segment.destinationIp, segment.destinationPort)}>${addressKey(segment.sourceIp, segment.sourcePort)}`;
    const connection = this.connections.get(key);
    if (!connection) return;
    connection.lastSeenMs = nowMs;
    if (segment.flags.rst) {
      this.close(key, connection, "reset", nowMs);
      return;
    }
    if (segment.flags.ack) this.follow(key, connection, connection.stream.acknowledged(segment.ack), nowMs);
    if (segment.flags.fin && this.connections.get(key) === connection) {
      connection.serverFinished = true;
      if (connection.clientFinished) this.close(key, connection, "finished", nowMs);
    }
  }

  /** A new connection from its first client segment, or undefined when it cannot be followed. */
  private start(
    key: string,
    client: Endpoint,
    server: Endpoint,
    segment: TcpSegment,
    nowMs: number,
  ): Connection | undefined {
    const joinsMidStream = !segment.flags.syn;
    // Without the handshake only data shows a live connection; anything else may be a straggler.
    if (joinsMidStream && (segment.payload.length === 0 || segment.flags.rst || this.isLingering(key, nowMs)))
      return undefined;
    if (this.connections.size >= this.limits.maxConnections) return undefined;
    this.lingering.delete(key);
    const id = this.nextId++;
    const firstSeq = joinsMidStream ? segment.seq : (segment.seq + 1) >>> 0;
    const connection: Connection = {
      id,
      client: { ip: client.ip.slice(), port: client.port },
      server: { ip: server.ip.slice(), port: server.port },
      synSeq: joinsMidStream ? null : segment.seq,
      stream: new ClientStream(firstSeq, (bytes) => this.sink.data(id, bytes), this.limits.maxPendingBytes),
      opened: false,
      clientFinished: false,
      serverFinished: false,
      lastSeenMs: nowMs,
    };
    this.connections.set(key, connection);
    return connection;
  }

  private follow(key: string, connection: Connection, result: PushResult, nowMs: number): void {
    if (result === "lost") this.close(key, connection, "lost", nowMs);
    else if (result === "finished" && !connection.clientFinished) {
      connection.clientFinished = true;
      this.sink.clientFinished(connection.id);
      if (connection.serverFinished) this.close(key, connection, "finished", nowMs);
    }
  }

  private isLingering(key: string, nowMs: number): boolean {
    const until = this.lingering.get(key);
    return until !== undefined && until > nowMs;
  }

  private close(key: string, connection: Connection, reason: CloseReason, nowMs: number): void {
    this.connections.delete(key);
    this.lingering.delete(key);
    this.lingering.set(key, nowMs + LINGER_MS);
    if (this.lingering.size > MAX_LINGERING) {
      const oldest = this.lingering.keys().next();
      if (!oldest.done) this.lingering.delete(oldest.value);
    }
    if (connection.opened) this.sink.closed(connection.id, reason);
  }
}
