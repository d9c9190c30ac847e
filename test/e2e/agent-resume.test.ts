/**
 * The real agent serves resumable streams: a client's session (here: an open remote file and its read
 * position) outlives cut connections, and a RESUME without the stream's token is refused while the
 * rightful client carries on.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { encodeFrame, FrameDecoder, helloMessage, type Message } from "../../src/protocol/index.ts";
import {
  encodeRecord,
  RESUMABLE_MAGIC,
  RecordDecoder,
  type ResumableStream,
  readHandshake,
} from "../../src/transport/resumable-stream.ts";
import { openResumable } from "../../src/transport/resumable-stream-client.ts";
import { sampleApps, simulatorUnavailableReason } from "../simulator/index.ts";
import { type PodSession, startPodSession } from "../support/pod-session.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING agent resumable-stream end-to-end tests: ${unavailable}`);
const FILE = "/srv/mirrord-agent-resume/notes.txt";
const CONTENT = "first line\nsecond line\nthird line\n";

let session: PodSession;

beforeAll(async () => {
  if (unavailable) return;
  session = await startPodSession("agentres", {
    name: "api",
    hostname: "api-agent-resume",
    app: sampleApps.httpEcho(8080),
    ports: [8080],
    files: { [FILE]: CONTENT },
  });
}, 60_000);

afterAll(async () => {
  await session?.destroy();
});

function dialAgent(): Promise<Socket> {
  const [host, port] = session.agentAddress.split(":") as [string, string];
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port) }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** A protocol client over a resumable stream whose current connection the test can cut. */
async function resumableClient() {
  const sockets: Socket[] = [];
  const stream: ResumableStream = await openResumable({
    dial: async () => {
      const socket = await dialAgent();
      sockets.push(socket);
      return socket;
    },
  });
  const decoder = new FrameDecoder();
  const replies = new Map<bigint, (message: Message) => void>();
  stream.on("data", (chunk: Buffer) => {
    decoder.push(chunk);
    for (let frame = decoder.next(); frame; frame = decoder.next())
      replies.get(frame.requestId)?.(frame.message);
  });
  let nextId = 1n;
  const request = (message: Message): Promise<Message> => {
    const id = nextId++;
    stream.write(encodeFrame({ requestId: id, message }));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${message.type} within 20 s`)), 20_000);
      replies.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
  };
  return { stream, sockets, request, cut: () => sockets[sockets.length - 1]?.destroy() };
}

async function forgedResume(id: Uint8Array, token: Uint8Array): Promise<string> {
  const socket = await dialAgent();
  socket.write(Buffer.concat([RESUMABLE_MAGIC, encodeRecord({ type: "resume", id, token, received: 0 })]));
  try {
    await readHandshake(socket, new RecordDecoder(), 10_000, "ACCEPT");
    return "accepted";
  } catch (error) {
    return (error as Error).message;
  } finally {
    socket.destroy();
  }
}

describe.skipIf(unavailable !== undefined)("agent over a resumable stream", () => {
  test("an open remote file and its position survive cut connections; a forged RESUME is refused", async () => {
    const client = await resumableClient();
    try {
      expect(await client.request(helloMessage("cli", "resume-e2e"))).toMatchObject({
        type: "HelloOk",
      });
      const opened = await client.request({ type: "FileOpen", dirFd: null, path: FILE, flags: 0, mode: 0 });
      expect(opened.type).toBe("FileOpened");
      const fd = (opened as { fd: bigint }).fd;
      const read = async () => {
        const reply = await client.request({ type: "FileRead", fd, size: 11 });
        return Buffer.from((reply as { data: Uint8Array }).data).toString();
      };
      expect(await read()).toBe("first line\n");
      client.cut();
      expect(await read()).toBe("second line");
      const forgedToken = new Uint8Array(client.stream.token);
      forgedToken[31] = (forgedToken[31] as number) ^ 0xff;
      expect(await forgedResume(client.stream.id, forgedToken)).toBe("wrong token for this stream");
      expect(await forgedResume(new Uint8Array(16), client.stream.token)).toBe(
        "unknown stream (it ended, or the agent restarted)",
      );
      client.cut();
      expect(await read()).toBe("\nthird line");
      expect(client.sockets.length).toBe(3);
    } finally {
      client.stream.destroy();
    }
  }, 60_000);

  test("plain protocol clients are served as before, next to resumable ones", async () => {
    const socket = await dialAgent();
    const decoder = new FrameDecoder();
    const reply = new Promise<Message>((resolve) =>
      socket.on("data", (chunk: Buffer) => {
        decoder.push(chunk);
        const frame = decoder.next();
        if (frame) resolve(frame.message);
      }),
    );
    socket.write(encodeFrame({ requestId: 1n, message: helloMessage("cli", "plain-e2e") }));
    expect(await reply).toMatchObject({ type: "HelloOk" });
    socket.destroy();
  }, 30_000);
});
