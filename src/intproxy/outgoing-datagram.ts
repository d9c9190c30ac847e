/**
 * The local end of one outgoing UDP flow: a loopback datagram socket the program's socket sends to
 * (connect or sendto, redirected by the layer). Datagrams from the program go to the agent; the
 * agent's go back to the program's address, the last one that sent here.
 */
import { createSocket, type Socket } from "node:dgram";
import { type SocketAddress, socketAddressFromIp } from "../protocol/index.ts";
import type { ProtocolClient } from "../transport/client.ts";

export class InterceptDatagram {
  private program: { address: string; port: number } | null = null;
  private closed = false;

  private constructor(
    readonly agentConnId: bigint,
    private readonly agent: ProtocolClient,
    private readonly socket: Socket,
    readonly address: SocketAddress,
    private readonly onGone: () => void,
  ) {
    socket.on("message", (data, from) => {
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
    if (this.program && !this.closed) this.socket.send(data, this.program.port, this.program.address);
  }

  /** The agent's socket is gone: nothing more will come. */
  agentClosed(): void {
    this.destroy();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
    this.agent.notify({ type: "OutgoingClose", connId: this.agentConnId });
    this.onGone();
  }
}
