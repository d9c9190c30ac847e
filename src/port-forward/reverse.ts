/**
 * `-R` forwarding: each remote port of the target is subscribed (steal or mirror, from
 * `feature.network.incoming.mode`) and its connections are delivered to 127.0.0.1:<local_port>, by the
 * intproxy's own incoming machinery (as mirrord's port-forward reuses its intproxy's). Subscriptions live
 * in the agent session, so every new agent connection subscribes again.
 */
import { IncomingProxy } from "../intproxy/incoming.ts";
import { type Frame, type IncomingMode, socketAddressFromIp } from "../protocol/index.ts";
import type { ProtocolClient } from "../transport/client.ts";
import type { Logger } from "../transport/log.ts";
import type { ReverseMapping } from "./mappings.ts";
import type { SessionPart } from "./session.ts";

/** IncomingProxy serves several layers; here the command is the only "layer". */
const LISTENER_ID = 0;

export class ReverseForwarder implements SessionPart {
  private proxy: IncomingProxy | undefined;

  constructor(
    private readonly mappings: readonly ReverseMapping[],
    private readonly mode: IncomingMode,
    private readonly log: Logger,
  ) {}

  async attach(client: ProtocolClient): Promise<void> {
    const proxy = new IncomingProxy(client, this.log);
    this.proxy = proxy;
    for (const { remotePort, localPort } of this.mappings) {
      const answer = await proxy.subscribe(LISTENER_ID, {
        type: "Subscribe",
        port: remotePort,
        mode: this.mode,
        filter: null,
        listenAddress: socketAddressFromIp("127.0.0.1", localPort),
      });
      if (answer.type !== "Subscribed")
        throw new Error(
          `the agent would not ${this.mode} port ${remotePort}: ${answer.type === "ErrorReply" ? answer.error.message : answer.type}`,
        );
    }
  }

  receive(frame: Frame): boolean {
    return this.proxy?.receive(frame) ?? false;
  }

  detach(): void {
    this.proxy = undefined;
  }

  close(): void {
    this.detach();
  }
}
