import { expect, test } from "bun:test";
import { createServer, type Server } from "node:net";
import type { Message, SocketAddress } from "../protocol/index.ts";
import type { ProtocolClient } from "../transport/client.ts";
import type { Logger } from "../transport/log.ts";
import { IncomingProxy } from "./incoming.ts";

const v4 = (port: number): SocketAddress => ({ kind: "ipv4", ip: Uint8Array.from([10, 0, 0, 1]), port });
const quietLog = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;

/** A fake agent connection that records what the intproxy notifies. */
function fakeAgent(): { agent: ProtocolClient; notified: Message[]; next: () => Promise<Message> } {
  const notified: Message[] = [];
  let waiter: ((message: Message) => void) | null = null;
  const agent = {
    request: async (): Promise<Message> => ({ type: "Subscribed" }) as unknown as Message,
    notify: (message: Message) => {
      notified.push(message);
      waiter?.(message);
    },
    backlog: () => 0,
    whenDrained: (callback: () => void) => callback(),
    holdInput() {},
    releaseInput() {},
  } as unknown as ProtocolClient;
  const next = () =>
    new Promise<Message>((resolve) => {
      waiter = resolve;
    });
  return { agent, notified, next };
}

/** A fake agent counting how many times the link's input is held and not released yet. */
function countingAgent(): ReturnType<typeof fakeAgent> & { held: () => number } {
  const fake = fakeAgent();
  let held = 0;
  Object.assign(fake.agent, { holdInput: () => held++, releaseInput: () => held-- });
  return { ...fake, held: () => held };
}

/**
 * An intproxy stealing remote port 80 into the program's listener on 127.0.0.1:`port`, which the agent
 * announces connection `connId` on; returns the intproxy and the next notification it sends the agent.
 */
async function announcedConnection(
  agent: ProtocolClient,
  next: () => Promise<Message>,
  port: number,
  connId: bigint,
): Promise<{ proxy: IncomingProxy; answer: Promise<Message | string> }> {
  const proxy = new IncomingProxy(agent, quietLog);
  await proxy.subscribe(1, {
    type: "Subscribe",
    port: 80,
    mode: "steal",
    listenAddress: { kind: "ipv4", ip: Uint8Array.from([127, 0, 0, 1]), port },
  } as never);
  const answer = Promise.race([next(), Bun.sleep(3_000).then(() => "nothing within 3 s")]);
  proxy.receive({
    message: { type: "NewConnection", connId, port: 80, remoteAddress: v4(4000), localAddress: v4(80) },
  } as never);
  return { proxy, answer };
}

test("a stolen connection the program reads and then closes without answering goes back to the agent as unreachable", async () => {
  // The program reads the request and closes (as when it dies mid-request): a FIN, not a reset.
  const server: Server = createServer((socket) => socket.once("data", () => socket.end()));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { agent, next } = fakeAgent();
  const { proxy, answer } = await announcedConnection(
    agent,
    next,
    (server.address() as { port: number }).port,
    7n,
  );
  proxy.receive({
    message: { type: "IncomingData", connId: 7n, data: new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n") },
  } as never);
  expect(await answer).toEqual({ type: "IncomingUnreachable", connId: 7n } as never);
  server.close();
});

test("bytes for a stolen connection whose connect into the program is refused do not leave the agent link held", async () => {
  // Nothing listens on the port any more (the program is exiting): the bytes that arrived while
  // connecting can never drain, and the agent link must not stay paused for them.
  const closed: Server = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = (closed.address() as { port: number }).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const { agent, next, held } = countingAgent();
  const { proxy, answer } = await announcedConnection(agent, next, port, 9n);
  for (let i = 0; i < 3; i++)
    proxy.receive({ message: { type: "IncomingData", connId: 9n, data: new Uint8Array(100) } } as never);
  expect(await answer).toEqual({ type: "IncomingUnreachable", connId: 9n } as never);
  expect(held()).toBe(0);
});
