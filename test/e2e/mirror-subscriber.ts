/**
 * A mirror subscriber speaking the agent protocol as the intproxy does: `Subscribe{mode: mirror}` for
 * some ports, then every `NewConnection` / `IncomingData` / `IncomingClose` collected per connection.
 * Used by the mirror e2e tests and bench row P6.
 */
import { type Frame, ipEndpoint, socketAddressFromIp } from "../../src/protocol/index.ts";
import { ProtocolClient } from "../../src/transport/client.ts";

export interface MirroredCopy {
  readonly connId: bigint;
  readonly port: number;
  /** The client as the pod saw it. */
  readonly remote: { host: string; port: number };
  readonly local: { host: string; port: number };
  readonly chunks: Buffer[];
  /** An empty `IncomingData` came: the client finished sending. */
  finished: boolean;
  /** `IncomingClose` came. */
  closed: boolean;
}

export class MirrorSubscriber {
  readonly copies = new Map<bigint, MirroredCopy>();

  private constructor(readonly client: ProtocolClient) {
    client.onUnsolicited(({ message }: Frame) => {
      if (message.type === "NewConnection") {
        const remote = ipEndpoint(message.remoteAddress);
        const local = ipEndpoint(message.localAddress);
        this.copies.set(message.connId, {
          connId: message.connId,
          port: message.port,
          remote: { host: remote?.host ?? "?", port: remote?.port ?? 0 },
          local: { host: local?.host ?? "?", port: local?.port ?? 0 },
          chunks: [],
          finished: false,
          closed: false,
        });
      }
      const copy = "connId" in message ? this.copies.get(message.connId) : undefined;
      if (!copy) return;
      if (message.type === "IncomingData") {
        if (message.data.length === 0) copy.finished = true;
        else copy.chunks.push(Buffer.from(message.data));
      }
      if (message.type === "IncomingClose") copy.closed = true;
    });
  }

  static async connect(agentAddress: string, ports: readonly number[]): Promise<MirrorSubscriber> {
    const client = await ProtocolClient.connect({
      address: agentAddress,
      role: "intproxy",
      clientName: "mirror-e2e",
      timeoutMs: 10_000,
    });
    const subscriber = new MirrorSubscriber(client);
    for (const port of ports) {
      const reply = await client.request(
        {
          type: "Subscribe",
          port,
          mode: "mirror",
          filter: null,
          listenAddress: socketAddressFromIp("127.0.0.1", port),
        },
        15_000,
      );
      if (reply.type !== "Subscribed") throw new Error(`Subscribe ${port} answered ${JSON.stringify(reply)}`);
    }
    return subscriber;
  }

  /**
   * The copy of the connection the pod saw from client port `remotePort` to its `port`, the newest when
   * several match. The server port matters: the kernel hands a client the same source port again for
   * connections to another port (two of the 100 concurrent senders once took the ports that the HTTP
   * tests before them had used to the pod's port 8080).
   */
  from(port: number, remotePort: number): MirroredCopy | undefined {
    let newest: MirroredCopy | undefined;
    for (const copy of this.copies.values())
      if (copy.port === port && copy.remote.port === remotePort) newest = copy;
    return newest;
  }

  /** Waits until copies to `port` from all these client ports have closed; throws naming what is missing. */
  async closedFrom(port: number, remotePorts: readonly number[], timeoutMs: number): Promise<MirroredCopy[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const copies = remotePorts.map((remotePort) => this.from(port, remotePort));
      if (copies.every((copy) => copy?.closed)) return copies as MirroredCopy[];
      if (Date.now() > deadline) {
        const missing = remotePorts.filter((remotePort) => !this.from(port, remotePort)?.closed);
        throw new Error(
          `no closed copy to port ${port} from ${missing.length} client ports, e.g. ${missing.slice(0, 5).join(", ")}`,
        );
      }
      await Bun.sleep(50);
    }
  }

  close(): void {
    this.client.close();
  }
}

export const bytesOf = (copy: MirroredCopy): Buffer => Buffer.concat(copy.chunks);
