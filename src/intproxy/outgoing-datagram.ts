/**
 * The local end of one outgoing UDP flow: a loopback datagram socket the program's socket sends to
 * (connect or sendto, redirected by the layer). Datagrams from the program go to the agent; the
 * agent's go back to the program's address, the last one that sent here.
 *
 * The layer cannot tell when the program closes a UDP socket, so a flow quiet in both directions for
 * IDLE_MS is closed, like a NAT's UDP mapping (Linux conntrack keeps one 120 s).
 */
import { createSocket, type Socket } from "node:dgram";
import { type SocketAddress, socketAddressFromIp } from "../protocol/index.ts";
import type { ProtocolClient } from "../transport/client.ts";

const IDLE_MS = 120_000;

export class InterceptDatagram {
  private program: { address: string; port: number } | null = null;
  private closed = false;
  private lastTraffic = Date.now();
  private readonly idleCheck = setInterval(() => {
    if (Date.now() - this.lastTraffic >= IDLE_MS) this.destroy();
  }, IDLE_MS / 4);

  private constructor(
    readonly agentConnId: bigint,
    private readonly agent: ProtocolClient,
    private readonly socket: Socket,
    readonly address: SocketAddress,
    private readonly onGone: () => void,
  ) {
    this.idleCheck.unref();
    socket.on("message", (data, from) => {
      this.lastTraffic = Date.now();
      this.program = { address: from.address, port: from.port };
      agent.notify({ type: "OutgoingData", connId: agentConnId, data });
    });
    // ICMP errors from the program's side (its socket closed) only mean nobody is listening now.
    socket.on("error", () => {});
  }

  static open(
    family: 4 | 6,
    agentConnId: bigint,
    agent: ProtocolClient,
    onGone: () => void,
  ): Promise<InterceptDatagram> {
    const host = family === 4 ? "127.0.0.1" : "::1";
    const socket = createSocket(family === 4 ? "udp4" : "udp6");
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, host, () => {
        socket.off("error", reject);
        const address = socketAddressFromIp(host, socket.address().port);
        resolve(new InterceptDatagram(agentConnId, agent, socket, address, onGone));
      });
    });
  }

  fromAgent(data: Uint8Array): void {
    this.lastTraffic = Date.now();
    if (this.program && !this.closed) this.socket.send(data, this.program.port, this.program.address);
  }

  /** Datagrams are not flow-controlled: a pause request is ignored, as the kernel would drop instead. */
  peerPaused(_paused: boolean): void {}

  /** The agent's socket is gone: nothing more will come. */
  agentClosed(): void {
    this.destroy();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.idleCheck);
    this.socket.close();
    this.agent.notify({ type: "OutgoingClose", connId: this.agentConnId });
    this.onGone();
  }
}
