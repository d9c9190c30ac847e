/**
 * When the agent pings a client and when it gives up on it. A client that has been silent for the
 * communication timeout gets a Ping; one still silent a further timeout later is dropped. A client
 * that never completed the handshake is dropped after one timeout of silence without a Ping.
 */
export interface PeerLiveness {
  handshaken: boolean;
  lastHeardMs: number;
  /** When the outstanding Ping went out; null when none is outstanding. */
  pingSentMs: number | null;
}

export type HeartbeatAction = "wait" | "ping" | "drop";

export function heartbeatAction(peer: PeerLiveness, nowMs: number, timeoutMs: number): HeartbeatAction {
  if (peer.pingSentMs !== null) return nowMs - peer.pingSentMs >= timeoutMs ? "drop" : "wait";
  if (nowMs - peer.lastHeardMs < timeoutMs) return "wait";
  return peer.handshaken ? "ping" : "drop";
}
