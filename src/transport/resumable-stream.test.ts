import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Duplex } from "node:stream";
import { describe, it } from "node:test";
import {
  encodeRecord,
  RESUMABLE_MAGIC,
  RecordDecoder,
  type ResumableRecord,
  type ResumableStream,
  readHandshake,
  sniffResumable,
} from "./resumable-stream.ts";
import { openResumable, type ReconnectPolicy } from "./resumable-stream-client.ts";
import { ResumableServer } from "./resumable-stream-server.ts";

/**
 * Two connected in-memory ends delivering on the next turn; `cut()` drops both at once and loses
 * whatever was still in flight, as a broken connection does.
 */
function carrierPair(): { client: Duplex; server: Duplex; cut(): void } {
  const ends: Duplex[] = [];
  let cut = false;
  const make = (index: number) =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        setImmediate(() => {
          if (!cut) ends[1 - index]?.push(chunk);
        });
        done();
      },
      final(done) {
        setImmediate(() => {
          if (!cut) ends[1 - index]?.push(null);
        });
        done();
      },
    });
  ends.push(make(0), make(1));
  const [client, server] = ends as [Duplex, Duplex];
  return {
    client,
    server,
    cut: () => {
      cut = true;
      for (const end of ends) end.destroy();
    },
  };
}

const FAST: ReconnectPolicy = {
  attempts: 5,
  firstBackoffMs: 5,
  maxBackoffMs: 20,
  deadlineMs: 5_000,
  handshakeTimeoutMs: 2_000,
};

/** A server and a client whose every dial makes a new in-memory connection to it. */
async function connected(
  options: { graceMs?: number; dialFails?: () => Error | undefined; beforeDial?: () => Promise<void> } = {},
) {
  const serverStreams: ResumableStream[] = [];
  const notices: string[] = [];
  const server = new ResumableServer({
    graceMs: options.graceMs ?? 5_000,
    onStream: (stream) => serverStreams.push(stream),
    onNotice: (message, fields) => notices.push(`${message}: ${JSON.stringify(fields)}`),
  });
  const links: ReturnType<typeof carrierPair>[] = [];
  const events: string[] = [];
  const client = await openResumable({
    dial: async () => {
      await options.beforeDial?.();
      const failure = options.dialFails?.();
      if (failure) throw failure;
      const link = carrierPair();
      links.push(link);
      server.route(link.server, () => assert.fail("a resumable client was taken for a plain one"));
      return link.client;
    },
    isPermanent: (error) => error.message.includes("gone for good"),
    policy: FAST,
    onDropped: (reason) => events.push(`dropped: ${reason}`),
    onResumed: () => events.push("resumed"),
    onGaveUp: (error) => events.push(`gave up: ${error.message}`),
  });
  const serverStream = await until(() => serverStreams[0]);
  return { server, client, serverStream, links, events, notices };
}

async function until<T>(probe: () => T | undefined, what = "condition"): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function collect(stream: Duplex): { bytes(): Buffer; ended: Promise<void> } {
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve) => stream.on("end", resolve));
  return { bytes: () => Buffer.concat(chunks), ended };
}

function pattern(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return bytes;
}

const digest = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Writes `data` in 10 KiB pieces, calling `midway` halfway through. */
async function writeAll(stream: Duplex, data: Buffer, midway: () => void | Promise<void>): Promise<void> {
  for (let offset = 0; offset < data.length; offset += 10 * 1024) {
    if (offset >= data.length / 2 && offset - 10 * 1024 < data.length / 2) await midway();
    if (!stream.write(data.subarray(offset, offset + 10 * 1024)))
      await new Promise((resolve) => stream.once("drain", resolve));
  }
  stream.end();
}

describe("sniffResumable", () => {
  it("tells the magic from a protocol frame within its first 4 bytes", () => {
    assert.equal(sniffResumable(RESUMABLE_MAGIC), "resumable");
    assert.equal(sniffResumable(RESUMABLE_MAGIC.subarray(0, 6)), "undecided");
    // A protocol frame starts with a little-endian u32 length below 16 MiB: its 4th byte is 0.
    assert.equal(sniffResumable(Uint8Array.of(0x6d, 0x69, 0x72, 0x00, 1, 2)), "plain");
    assert.equal(sniffResumable(Uint8Array.of(0x20, 0, 0, 0)), "plain");
  });
});

describe("RecordDecoder", () => {
  const decodeAll = (bytes: Uint8Array) => {
    const decoder = new RecordDecoder();
    decoder.push(bytes);
    const out: ResumableRecord[] = [];
    for (let record = decoder.next(); record; record = decoder.next()) out.push(record);
    return out;
  };

  it("round-trips every record type, byte by byte", () => {
    const id = new Uint8Array(16).fill(1);
    const token = new Uint8Array(32).fill(2);
    const records: ResumableRecord[] = [
      { type: "open" },
      { type: "resume", id, token, received: 123_456_789_012 },
      { type: "accept", id, token, received: 0 },
      { type: "data", bytes: Uint8Array.of(9, 8, 7) },
      { type: "ack", received: 42 },
      { type: "end", sent: 7 },
      { type: "abort", reason: "because" },
    ];
    const decoder = new RecordDecoder();
    const out: ResumableRecord[] = [];
    for (const record of records)
      for (const byte of encodeRecord(record)) {
        decoder.push(Uint8Array.of(byte));
        const next = decoder.next();
        if (next) out.push(next);
      }
    assert.deepEqual(out, records);
  });

  it("rejects an unknown type, a wrong fixed size, an empty or oversized DATA", () => {
    assert.throws(() => decodeAll(Uint8Array.of(99, 0, 0, 0, 0)), /unknown record type 99/);
    assert.throws(
      () => decodeAll(Uint8Array.of(5, 4, 0, 0, 0, 1, 2, 3, 4)),
      /ACK record of 4 bytes \(expected 8\)/,
    );
    assert.throws(() => decodeAll(Uint8Array.of(4, 0, 0, 0, 0)), /DATA record of 0 bytes/);
    assert.throws(() => decodeAll(Uint8Array.of(4, 0, 0, 2, 0)), /DATA record of 131072 bytes exceeds 65536/);
    const huge = encodeRecord({ type: "ack", received: 0 });
    new DataView(huge.buffer).setBigUint64(5, 2n ** 60n, true);
    assert.throws(() => decodeAll(huge), /acknowledged count 1152921504606846976 is out of range/);
  });
});

describe("ResumableServer.route", () => {
  it("hands a plain connection over with its first bytes put back, in order", async () => {
    const server = new ResumableServer({
      graceMs: 1_000,
      onStream: () => assert.fail("taken for resumable"),
    });
    const link = carrierPair();
    let seen: ReturnType<typeof collect> | undefined;
    server.route(link.server, (plain) => {
      seen = collect(plain);
    });
    // A protocol frame's length prefix (4th byte 0) arrives in two pieces, then more bytes.
    link.client.write(Uint8Array.of(0x6d, 0x69));
    link.client.write(Uint8Array.of(0x72, 0x00, 1, 2));
    await until(() => seen, "the hand-over");
    link.client.write(Uint8Array.of(3, 4));
    await until(() => seen?.bytes().length === 8, "the plain bytes");
    assert.deepEqual([...(seen?.bytes() ?? [])], [0x6d, 0x69, 0x72, 0, 1, 2, 3, 4]);
    link.cut();
  });
});

describe("ResumableStream over ResumableServer", () => {
  it("carries bytes both ways and ends cleanly", async () => {
    const { client, serverStream } = await connected();
    const atServer = collect(serverStream);
    const atClient = collect(client);
    const up = pattern(300_000, 1);
    const down = pattern(200_000, 2);
    client.end(up);
    serverStream.end(down);
    await Promise.all([atServer.ended, atClient.ended]);
    assert.equal(digest(atServer.bytes()), digest(up));
    assert.equal(digest(atClient.bytes()), digest(down));
  });

  it("resumes across two cuts with every byte exactly once, in order, both ways", async () => {
    const { client, serverStream, links, events } = await connected();
    const atServer = collect(serverStream);
    const atClient = collect(client);
    const up = pattern(2_000_000, 3);
    const down = pattern(1_500_000, 4);
    const resumedOn = (count: number) =>
      until(() => links.length >= count && (client as ResumableStream).isAttached, `dial #${count}`);
    const cutAndWait = async (count: number) => {
      await resumedOn(count - 1);
      links[links.length - 1]?.cut();
      await resumedOn(count);
    };
    await Promise.all([
      writeAll(client, up, () => cutAndWait(2)),
      writeAll(serverStream, down, () => cutAndWait(3)),
    ]);
    await Promise.all([atServer.ended, atClient.ended]);
    assert.equal(atServer.bytes().length, up.length);
    assert.equal(digest(atServer.bytes()), digest(up));
    assert.equal(digest(atClient.bytes()), digest(down));
    assert.ok(links.length >= 3, `expected two re-dials, got ${links.length - 1}`);
    assert.equal(events.filter((e) => e === "resumed").length, links.length - 1);
  });

  it("refuses a RESUME with a wrong token, an unknown id or an impossible count; the stream stays resumable", async () => {
    const { server, client, serverStream, links, notices } = await connected();
    client.write("before the drop");
    const atServer = collect(serverStream);
    await until(() => atServer.bytes().length === 15, "first bytes");
    const attempt = async (record: ResumableRecord) => {
      const link = carrierPair();
      server.route(link.server, () => assert.fail("taken for plain"));
      // Magic and record in one chunk, as TCP may deliver them.
      link.client.write(Buffer.concat([RESUMABLE_MAGIC, encodeRecord(record)]));
      return readHandshake(link.client, new RecordDecoder(), 2_000, "ACCEPT");
    };
    const { id, token } = client as ResumableStream;
    const forged = new Uint8Array(token);
    forged[0] = (forged[0] as number) ^ 1;
    await assert.rejects(
      attempt({ type: "resume", id, token: forged, received: 0 }),
      /wrong token for this stream/,
    );
    await assert.rejects(
      attempt({ type: "resume", id: new Uint8Array(16), token, received: 0 }),
      /unknown stream \(it ended, or the agent restarted\)/,
    );
    await assert.rejects(
      attempt({ type: "resume", id, token, received: 5 }),
      /impossible received count 5: 0 bytes were already acknowledged and 0 sent/,
    );
    await assert.rejects(attempt({ type: "ack", received: 0 }), /expected OPEN or RESUME, got ACK/);
    assert.equal(notices.filter((n) => n.startsWith("resume refused")).length, 4);
    // The real client still gets through after a drop.
    links[0]?.cut();
    client.write(" and after");
    await until(() => atServer.bytes().toString() === "before the drop and after", "bytes after resume");
    client.destroy();
  });

  it("ends a parked stream that is not resumed within the grace period", async () => {
    let dialsAllowed = true;
    const { client, serverStream, links } = await connected({
      graceMs: 100,
      dialFails: () => (dialsAllowed ? undefined : new Error("network unreachable")),
    });
    dialsAllowed = false;
    client.on("error", () => {});
    const failed = new Promise<Error>((resolve) => serverStream.on("error", resolve));
    links[0]?.cut();
    assert.match((await failed).message, /the connection dropped \(.*\) and was not resumed within 0.1 s/);
  });

  it("gives up at once, with why, when a dial fails for good", async () => {
    let dialsAllowed = true;
    const { client, links, events } = await connected({
      dialFails: () => (dialsAllowed ? undefined : new Error("the pod is gone for good")),
    });
    dialsAllowed = false;
    const failed = new Promise<Error>((resolve) => client.on("error", resolve));
    links[0]?.cut();
    assert.match((await failed).message, /the pod is gone for good/);
    assert.deepEqual(events.slice(-1), ["gave up: the pod is gone for good"]);
    assert.equal(events.filter((e) => e.startsWith("dropped")).length, 1);
  });

  it("gives up after its attempts when dials keep failing", async () => {
    let dials = 0;
    const { client, links } = await connected({
      dialFails: () => (dials++ > 0 ? new Error(`refused #${dials}`) : undefined),
    });
    const failed = new Promise<Error>((resolve) => client.on("error", resolve));
    links[0]?.cut();
    assert.match((await failed).message, /refused #6/);
    assert.equal(dials, 1 + FAST.attempts);
  });

  it("ends the stream with a clear error when the peer sends malformed bytes", async () => {
    const { client, serverStream, links } = await connected();
    const failed = new Promise<Error>((resolve) => serverStream.on("error", resolve));
    const clientFailed = new Promise<Error>((resolve) => client.on("error", resolve));
    links[0]?.client.write(Uint8Array.of(42, 0, 0, 0, 0));
    assert.match((await failed).message, /unknown record type 42/);
    assert.match((await clientFailed).message, /the peer ended the stream: unknown record type 42/);
  });

  it("holds the writer back above the unacknowledged bound while parked, and lets it go on resume", async () => {
    let open = true;
    let release!: () => void;
    const redialed = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { client, serverStream, links } = await connected({
      beforeDial: () => (open ? Promise.resolve() : redialed),
    });
    const atServer = collect(serverStream);
    open = false;
    links[0]?.cut();
    await until(() => !(client as ResumableStream).isAttached, "the drop");
    // Parked: up to the 8 MiB bound is taken, then writes wait.
    const chunk = pattern(1024 * 1024, 5);
    let accepted = 0;
    while (client.write(chunk) && accepted < 20) accepted++;
    assert.ok(accepted <= 8, `accepted ${accepted} MiB while parked`);
    const drained = new Promise((resolve) => client.once("drain", resolve));
    release();
    await drained;
    client.end();
    await atServer.ended;
    assert.equal(atServer.bytes().length, (accepted + 1) * chunk.length);
    assert.equal(links.length, 2);
  });
});
