/**
 * Who the program's accept() should report for each connection the intproxy opens into one of its
 * listeners: the layer asks `ConnMetadata{listenerAddress, peerAddress}` with the addresses it sees
 * (the listener's real address, the intproxy's end of the connection) and gets the original client and
 * pod address. A connection the program accepts before the intproxy's connect() has completed is
 * waited for (bounded); a genuine local client is a miss.
 */
import type { Message, MessageOf, SocketAddress } from "../protocol/index.ts";
import { ipEndpointOf } from "./incoming-addresses.ts";

const PENDING_WAIT_MS = 2_000;

export interface StolenPeer {
  remoteAddress: SocketAddress;
  localAddress: SocketAddress;
}

/** Key: the listener's port and the intproxy side's `ip:port` (the program's peer). */
function keyOf(listenerPort: number, host: string, port: number): string {
  return `${listenerPort}|${host.replace(/^::ffff:/, "")}|${port}`;
}

/** The intproxy's end of a connection into a program's listener (node:net's or a NativeStream). */
export interface LocalEnd {
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
  once(event: "connect" | "close", listener: () => void): unknown;
}

export class IncomingPeers {
  private readonly peers = new Map<string, StolenPeer>();
  /** Connections still connecting, per listener port: a lookup miss waits for them. */
  private readonly pending = new Map<number, Set<Promise<void>>>();

  /** Records `peer` for `socket` (connecting to `listenerPort`) once its local address is known. */
  register(socket: LocalEnd, listenerPort: number, peer: StolenPeer): void {
    const connected = new Promise<void>((resolve) => {
      const record = () => {
        if (socket.localAddress && socket.localPort) {
          const key = keyOf(listenerPort, socket.localAddress, socket.localPort);
          this.peers.set(key, peer);
          socket.once("close", () => this.peers.delete(key));
        }
        resolve();
      };
      if (socket.localPort) record();
      else {
        socket.once("connect", record);
        socket.once("close", () => resolve());
      }
    });
    const set = this.pending.get(listenerPort) ?? new Set();
    set.add(connected);
    this.pending.set(listenerPort, set);
    connected.then(() => {
      set.delete(connected);
      if (set.size === 0) this.pending.delete(listenerPort);
    });
  }

  async lookup(request: MessageOf<"ConnMetadata">): Promise<Message> {
    const miss: Message = { type: "ConnMetadataResult", remoteAddress: null, localAddress: null };
    const listener = ipEndpointOf(request.listenerAddress);
    const peer = ipEndpointOf(request.peerAddress);
    if (!listener || !peer) return miss;
    const key = keyOf(listener.port, peer.host, peer.port);
    let found = this.peers.get(key);
    const waiting = this.pending.get(listener.port);
    if (!found && waiting) {
      await Promise.race([
        Promise.all(waiting),
        new Promise((resolve) => setTimeout(resolve, PENDING_WAIT_MS)),
      ]);
      found = this.peers.get(key);
    }
    return found ? { type: "ConnMetadataResult", ...found } : miss;
  }
}
