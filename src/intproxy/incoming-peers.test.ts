import { describe, expect, test } from "bun:test";
import { connect, createServer, type Server } from "node:net";
import type { SocketAddress } from "../protocol/index.ts";
import { IncomingPeers } from "./incoming-peers.ts";

const v4 = (a: number, b: number, c: number, d: number, port: number): SocketAddress => ({
  kind: "ipv4",
  ip: Uint8Array.from([a, b, c, d]),
  port,
});
const peer = { remoteAddress: v4(10, 244, 3, 2, 40000), localAddress: v4(10, 244, 1, 2, 80) };

function listen(): Promise<{
  server: Server;
  port: number;
  accepted: Promise<{ host: string; port: number }>;
}> {
  return new Promise((resolve) => {
    let accept!: (address: { host: string; port: number }) => void;
    const accepted = new Promise<{ host: string; port: number }>((r) => {
      accept = r;
    });
    const server = createServer((socket) =>
      accept({ host: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 }),
    );
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, port: (server.address() as { port: number }).port, accepted }),
    );
  });
}

describe("IncomingPeers", () => {
  test("the program's view of a connection the intproxy opened maps to the original client", async () => {
    const { server, port, accepted } = await listen();
    const peers = new IncomingPeers();
    const socket = connect({ host: "127.0.0.1", port });
    peers.register(socket, port, peer);
    const seen = await accepted;
    const answer = await peers.lookup({
      type: "ConnMetadata",
      listenerAddress: v4(0, 0, 0, 0, port),
      peerAddress: v4(127, 0, 0, 1, seen.port),
    });
    expect(answer).toEqual({ type: "ConnMetadataResult", ...peer });
    socket.destroy();
    server.close();
  });

  test("a local client nobody registered is a miss", async () => {
    const answer = await new IncomingPeers().lookup({
      type: "ConnMetadata",
      listenerAddress: v4(127, 0, 0, 1, 8080),
      peerAddress: v4(127, 0, 0, 1, 51000),
    });
    expect(answer).toEqual({ type: "ConnMetadataResult", remoteAddress: null, localAddress: null });
  });

  test("a closed connection is forgotten", async () => {
    const { server, port, accepted } = await listen();
    const peers = new IncomingPeers();
    const socket = connect({ host: "127.0.0.1", port });
    peers.register(socket, port, peer);
    const seen = await accepted;
    await new Promise((resolve) => {
      socket.once("close", resolve);
      socket.destroy();
    });
    const answer = await peers.lookup({
      type: "ConnMetadata",
      listenerAddress: v4(127, 0, 0, 1, port),
      peerAddress: v4(127, 0, 0, 1, seen.port),
    });
    expect(answer.type === "ConnMetadataResult" && answer.remoteAddress).toBe(null);
    server.close();
  });
});
