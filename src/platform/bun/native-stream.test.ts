import { afterEach, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectNative, listenNative, type NativeListener, type NativeStream } from "./native-stream.ts";

const listeners: NativeListener[] = [];
const streams: NativeStream[] = [];
afterEach(() => {
  for (const stream of streams.splice(0)) stream.destroy();
  for (const listener of listeners.splice(0)) listener.stop();
});

/** A listener on loopback and a connection to it, still connecting; `server` is its accepted end. */
function dial(): { client: NativeStream; server: Promise<NativeStream>; port: number } {
  let accepted!: (stream: NativeStream) => void;
  const server = new Promise<NativeStream>((resolve) => {
    accepted = resolve;
  });
  const listener = listenNative({ host: "127.0.0.1", port: 0 }, (stream) => {
    streams.push(stream);
    accepted(stream);
  });
  listeners.push(listener);
  const client = connectNative("127.0.0.1", listener.port);
  streams.push(client);
  return { client, server, port: listener.port };
}

/** A listener on loopback and one connection to it, both ends open. */
async function pair(): Promise<{ client: NativeStream; server: NativeStream; port: number }> {
  const { client, server, port } = dial();
  await new Promise((resolve, reject) => {
    client.once("connect", resolve);
    client.once("error", reject);
  });
  return { client, server: await server, port };
}

/** Everything `stream` receives until its `end`. */
function readAll(stream: NativeStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => stream.once("end", () => resolve(Buffer.concat(chunks))));
}

function pattern(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + (i >> 13)) & 0xff;
  return bytes;
}

describe("NativeStream", () => {
  it("reports both ends' addresses once connected", async () => {
    const { client, server, port } = await pair();
    expect(client.remotePort).toBe(port);
    expect(client.remoteAddress).toBe("127.0.0.1");
    expect(server.remotePort).toBe(client.localPort as number);
    expect(server.localPort).toBe(port);
  });

  it("queues writes made before the connection is up, in order", async () => {
    const { client, server } = dial();
    client.write(Buffer.from("one "));
    client.write(Buffer.from("two"));
    client.end();
    expect((await readAll(await server)).toString()).toBe("one two");
  });

  it("is half-open: after its FIN it still reads the peer's answer, then closes", async () => {
    const { client, server } = await pair();
    const request = readAll(server);
    client.write(Buffer.from("question"));
    client.end();
    expect((await request).toString()).toBe("question");
    const answer = readAll(client);
    const closed = new Promise((resolve) => client.once("close", resolve));
    server.write(Buffer.from("answer after the client's FIN"));
    server.end();
    expect((await answer).toString()).toBe("answer after the client's FIN");
    expect(await closed).toBe(false);
    expect(client.destroyed).toBe(true);
  });

  it("holds what the kernel does not take, reports it as writableLength, and drains it intact", async () => {
    const { client, server } = await pair();
    server.pause();
    const data = pattern(32 << 20);
    let accepted = true;
    let offset = 0;
    while (accepted && offset < data.length) {
      accepted = client.write(data.subarray(offset, offset + (1 << 20)));
      offset += 1 << 20;
    }
    expect(accepted).toBe(false);
    expect(client.writableLength).toBeGreaterThan(0);
    const drained = new Promise((resolve) => client.once("drain", resolve));
    const received = readAll(server);
    server.resume();
    await drained;
    expect(client.writableLength).toBe(0);
    client.end(data.subarray(offset));
    expect((await received).equals(data)).toBe(true);
  });

  it("runs a write's callback once the bytes are taken", async () => {
    const { client, server } = await pair();
    const received = readAll(server);
    const written = new Promise<void>((resolve) => client.write(Buffer.from("x"), resolve));
    await written;
    client.end();
    expect((await received).toString()).toBe("x");
  });

  it("delivers unshifted bytes first once reading resumes", async () => {
    const { client, server } = await pair();
    const first = new Promise<Buffer>((resolve) => server.once("data", resolve));
    client.write(Buffer.from("head|"));
    const head = await first;
    server.pause();
    server.unshift(head);
    const received = readAll(server);
    client.write(Buffer.from("rest"));
    client.end();
    server.resume();
    expect((await received).toString()).toBe("head|rest");
  });

  it("destroy closes without an end of its own; the peer sees the FIN", async () => {
    const { client, server } = await pair();
    const events: string[] = [];
    client.on("end", () => events.push("end"));
    const closed = new Promise((resolve) => client.once("close", resolve));
    const peerEnded = new Promise((resolve) => server.once("end", resolve));
    client.destroy();
    await closed;
    await peerEnded;
    expect(events).toEqual([]);
    expect(client.write(Buffer.from("late"))).toBe(false);
  });

  it("destroyed while connecting, it closes the connection that comes up anyway", async () => {
    const { client, server } = dial();
    const events: string[] = [];
    for (const event of ["error", "end", "close"]) client.on(event, () => events.push(event));
    client.destroy();
    const accepted = await server;
    await new Promise((resolve) => accepted.once("end", resolve));
    expect(events).toEqual(["close"]);
  });

  it("a reset after its own destroy is no error, even with nobody listening for one", async () => {
    const { client, server } = await pair();
    const closed = new Promise((resolve) => client.once("close", resolve));
    client.resetAndDestroy();
    await closed;
    await new Promise((resolve) => server.once("close", resolve));
  });

  it("reports a refused connection as an error with its errno code, then close", async () => {
    const listener = listenNative({ host: "127.0.0.1", port: 0 }, () => {});
    const port = listener.port;
    listener.stop();
    const stream = connectNative("127.0.0.1", port);
    const events: string[] = [];
    stream.on("error", (error: NodeJS.ErrnoException) => events.push(`error ${error.code}`));
    await new Promise((resolve) => stream.once("close", resolve));
    expect(events).toEqual(["error ECONNREFUSED"]);
  });

  it("listens on a unix socket path, which a node:net client reaches", async () => {
    const dir = mkdtempSync(join(tmpdir(), "native-stream-"));
    try {
      const path = join(dir, "socket");
      const listener = listenNative({ path }, (stream) => {
        streams.push(stream);
        stream.on("data", (chunk: Buffer) => stream.write(chunk));
        stream.on("end", () => stream.end());
      });
      listeners.push(listener);
      expect(listener.port).toBe(0);
      const client = connect({ path });
      const chunks: Buffer[] = [];
      client.on("data", (chunk: Buffer) => chunks.push(chunk));
      client.end("over a unix socket");
      await new Promise((resolve) => client.once("close", resolve));
      expect(Buffer.concat(chunks).toString()).toBe("over a unix socket");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses to listen on a port in use, naming the errno", () => {
    const listener = listenNative({ host: "127.0.0.1", port: 0 }, () => {});
    listeners.push(listener);
    expect(() => listenNative({ host: "127.0.0.1", port: listener.port }, () => {})).toThrow(
      expect.objectContaining({ code: "EADDRINUSE" }),
    );
  });
});
