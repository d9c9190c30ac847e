import { expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import type { Message, SocketAddress } from "../protocol/index.ts";
import type { ProtocolClient } from "../transport/client.ts";
import type { Logger } from "../transport/log.ts";
import { OutgoingRelay } from "./outgoing.ts";

const quietLog = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;
const remote: SocketAddress = { kind: "ipv4", ip: Uint8Array.from([10, 244, 2, 2]), port: 7000 };
const podSide: SocketAddress = { kind: "ipv4", ip: Uint8Array.from([10, 244, 1, 2]), port: 40123 };

/** A fake agent link: records notifications; each request waits until the test answers it. */
function fakeAgent() {
  const notified: Message[] = [];
  const requests: { message: Message; answer: (reply: Message) => void }[] = [];
  const agent = {
    request: (message: Message) => new Promise<Message>((answer) => requests.push({ message, answer })),
    notify: (message: Message) => notified.push(message),
    backlog: () => 0,
    whenDrained: (callback: () => void) => callback(),
  } as unknown as ProtocolClient;
  return { agent, notified, requests };
}

function relayWith(agent: ProtocolClient): OutgoingRelay {
  return new OutgoingRelay(agent, quietLog, { opened() {}, closed() {} });
}

async function pending(relay: OutgoingRelay) {
  const reply = await relay.connectInBackground(
    { type: "ConnectInBackground", connId: 1n, address: remote },
    1,
  );
  if (reply.type !== "ConnectPending") throw new Error(`expected ConnectPending, got ${reply.type}`);
  const intercept = reply.interceptAddress;
  if (intercept.kind !== "ipv4") throw new Error("expected an IPv4 intercept");
  return { connId: reply.connId, port: intercept.port };
}

/** The agent's answer to the first request: connected from `podSide` to `remote`. */
function agentConnected(requests: ReturnType<typeof fakeAgent>["requests"], connId: bigint): void {
  requests[0]?.answer({
    type: "Connected",
    connId,
    localAddress: podSide,
    remoteAddress: remote,
    interceptAddress: null,
  });
}

function programConnects(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => resolve(socket));
    socket.once("error", reject);
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let tries = 0; tries < 500; tries++) {
    if (condition()) return;
    await Bun.sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const dataOf = (notified: Message[]) =>
  notified.flatMap((message) =>
    message.type === "OutgoingData" ? [Buffer.from(message.data).toString()] : [],
  );

test("a background connect answers before the agent; the program's bytes wait for the agent's connection", async () => {
  const { agent, notified, requests } = fakeAgent();
  const relay = relayWith(agent);
  const { connId, port } = await pending(relay);
  expect(requests.map(({ message }) => message)).toEqual([
    { type: "Connect", connId, transport: "tcp", address: remote },
  ]);
  const program = await programConnects(port);
  program.write("sent early");
  await Bun.sleep(200);
  expect(dataOf(notified)).toEqual([]);

  agentConnected(requests, connId);
  await until(() => dataOf(notified).join("") === "sent early", "the held bytes to reach the agent");
  expect(await relay.podAddress({ type: "OutgoingLocalAddress", connId })).toEqual({
    type: "OutgoingLocalAddressResult",
    address: podSide,
  });
  program.destroy();
});

test("a refused background connect resets the program's connection and has no pod address", async () => {
  const { agent, requests } = fakeAgent();
  const relay = relayWith(agent);
  const { connId, port } = await pending(relay);
  const program = await programConnects(port);
  const failure = new Promise<string>((resolve) =>
    program.once("error", (error: NodeJS.ErrnoException) => resolve(String(error.code))),
  );
  program.on("data", () => {});
  await until(() => requests.length === 1, "the agent's Connect");
  requests[0]?.answer({ type: "ErrorReply", error: { errno: 111, kind: 1, message: "connection refused" } });
  expect(await failure).toBe("ECONNRESET");
  expect(await relay.podAddress({ type: "OutgoingLocalAddress", connId })).toEqual({
    type: "OutgoingLocalAddressResult",
    address: null,
  });
});

test("a program that hung up before the agent connected: its FIN goes to the agent once connected", async () => {
  const { agent, notified, requests } = fakeAgent();
  const relay = relayWith(agent);
  const { connId, port } = await pending(relay);
  const program = await programConnects(port);
  program.end("last words");
  await Bun.sleep(200);
  expect(notified).toEqual([]);
  agentConnected(requests, connId);
  await until(() => notified.some((message) => message.type === "OutgoingClose"), "the program's FIN");
  expect(dataOf(notified)).toEqual(["last words"]);
  relay.receive({ type: "OutgoingClose", connId });
  // The program's fd may outlive the connection: its getsockname still gets the pod address.
  const answer = await relay.podAddress({ type: "OutgoingLocalAddress", connId });
  expect(answer).toEqual({ type: "OutgoingLocalAddressResult", address: podSide });
});

test("an intercept dropped before the agent connected: the late agent connection is closed, not leaked", async () => {
  const { agent, notified, requests } = fakeAgent();
  const relay = relayWith(agent);
  const { connId } = await pending(relay);
  relay.layerEnded(1); // nobody connected to the intercept: it goes
  expect(notified).toEqual([]);
  agentConnected(requests, connId);
  await until(() => notified.length === 2, "two OutgoingClose");
  expect(notified).toEqual([
    { type: "OutgoingClose", connId },
    { type: "OutgoingClose", connId },
  ]);
});

test("a background connect to a unix address is refused as a bad request", async () => {
  const { agent } = fakeAgent();
  const reply = await relayWith(agent).connectInBackground(
    { type: "ConnectInBackground", connId: 1n, address: { kind: "unixPath", path: "/run/x.sock" } },
    1,
  );
  expect(reply).toMatchObject({ type: "ErrorReply", error: { errno: 22 } });
});

test("an unknown connection id has no pod address", async () => {
  const { agent } = fakeAgent();
  const reply = await relayWith(agent).podAddress({ type: "OutgoingLocalAddress", connId: 99n });
  expect(reply).toEqual({ type: "OutgoingLocalAddressResult", address: null });
});
