import { describe, expect, test } from "bun:test";
import { PassThrough } from "node:stream";
import type { Message } from "../../protocol/index.ts";
import { Logger } from "../../transport/log.ts";
import type { AgentClient } from "../features/handler.ts";
import { ConnectionRelay } from "./relay.ts";
import type { TappedConnection } from "./tap.ts";

function fakeClient(backlog = 0) {
  const sent: Message[] = [];
  const drained: (() => void)[] = [];
  const client: AgentClient = {
    id: 7,
    log: new Logger({ level: "error", json: true, target: "test", write: () => {} }),
    send: (message) => sent.push(message),
    backlog: () => backlog,
    whenDrained: (callback) => drained.push(callback),
    holdInput: () => {},
    releaseInput: () => {},
    onClose: () => {},
  };
  return { client, sent, drained };
}

function fakeConnection(steal: boolean) {
  const inbound = new PassThrough();
  const reply = new PassThrough();
  const replied: string[] = [];
  reply.on("data", (chunk: Buffer) => replied.push(chunk.toString()));
  let destroyed = false;
  const connection: TappedConnection = {
    port: 80,
    remote: { address: "10.244.3.2", port: 40000 },
    local: { address: "10.244.1.2", port: 80 },
    inbound,
    reply: steal ? reply : null,
    destroy: () => {
      destroyed = true;
    },
  };
  return { connection, inbound, reply, replied, destroyed: () => destroyed };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));
const text = (message: Message) =>
  message.type === "IncomingData" ? Buffer.from(message.data).toString() : null;

function relayOf(steal = true, backlog = 0) {
  const client = fakeClient(backlog);
  const tapped = fakeConnection(steal);
  const fallbacks: string[][] = [];
  const finished: bigint[] = [];
  const relay = new ConnectionRelay(
    5n,
    client.client,
    tapped.connection,
    (replay) => fallbacks.push(replay.map((chunk) => Buffer.from(chunk).toString())),
    (done) => finished.push(done.connId),
  );
  return { relay, ...client, ...tapped, fallbacks, finished };
}

describe("ConnectionRelay", () => {
  test("announces the connection with the client and the original destination, then carries its bytes", async () => {
    const { sent, inbound } = relayOf();
    inbound.write("GET / HTTP/1.1\r\n\r\n");
    await flush();
    expect(sent[0]).toEqual({
      type: "NewConnection",
      connId: 5n,
      port: 80,
      remoteAddress: { kind: "ipv4", ip: Uint8Array.from([10, 244, 3, 2]), port: 40000 },
      localAddress: { kind: "ipv4", ip: Uint8Array.from([10, 244, 1, 2]), port: 80 },
    });
    expect(text(sent[1] as Message)).toBe("GET / HTTP/1.1\r\n\r\n");
  });

  test("the subscriber's bytes reach the client, and its empty data ends the client's connection", async () => {
    const { relay, reply, replied } = relayOf();
    let ended = false;
    reply.on("end", () => {
      ended = true;
    });
    relay.fromSubscriber(Buffer.from("HTTP/1.1 200 OK\r\n\r\n"));
    relay.fromSubscriber(new Uint8Array());
    await flush();
    expect(replied.join("")).toBe("HTTP/1.1 200 OK\r\n\r\n");
    expect(ended).toBe(true);
  });

  test("a connection the subscriber cannot take falls back with every byte it had sent", async () => {
    const { relay, inbound, fallbacks, finished } = relayOf();
    inbound.write("part one, ");
    inbound.write("part two");
    await flush();
    relay.undeliverable();
    expect(fallbacks).toEqual([["part one, ", "part two"]]);
    expect(finished).toEqual([5n]);
  });

  test("once the subscriber answered, an undeliverable connection is dropped, not replayed", async () => {
    const { relay, inbound, fallbacks, destroyed } = relayOf();
    inbound.write("request");
    await flush();
    relay.fromSubscriber(Buffer.from("answer"));
    relay.undeliverable();
    expect(fallbacks).toEqual([]);
    expect(destroyed()).toBe(true);
  });

  test("the client finishing and the connection closing reach the subscriber as empty data, then IncomingClose", async () => {
    const { sent, inbound } = relayOf();
    inbound.end();
    await flush();
    inbound.destroy();
    await flush();
    expect(sent.slice(1)).toEqual([
      { type: "IncomingData", connId: 5n, data: new Uint8Array() },
      { type: "IncomingClose", connId: 5n },
    ]);
  });

  test("a subscriber's IncomingClose finishes the relay once; later client events send nothing", async () => {
    const { relay, sent, inbound, finished } = relayOf();
    relay.subscriberClosed();
    relay.subscriberClosed();
    inbound.write("late");
    inbound.destroy();
    await flush();
    expect(finished).toEqual([5n]);
    expect(sent.map((m) => m.type)).toEqual(["NewConnection"]);
  });

  test("reading pauses while the subscriber's link is backed up and resumes when it drains", async () => {
    const { inbound, drained } = relayOf(true, 64 << 20);
    inbound.write("x");
    await flush();
    expect(inbound.isPaused()).toBe(true);
    expect(drained.length).toBe(1);
    drained[0]?.();
    expect(inbound.isPaused()).toBe(false);
  });
});
