import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_NESTING_DEPTH } from "./codec.ts";
import { ProtocolError, type ProtocolErrorCode } from "./errors.ts";
import { decodeFrame, encodeFrame, encodeFrameParts, FrameDecoder, MAX_FRAME_SIZE } from "./frame.ts";
import type { Frame, HttpFilter, Message } from "./types.gen.ts";
import { BY_REFERENCE_MIN_BYTES } from "./wire.ts";

const open: Frame = {
  requestId: 7n,
  message: { type: "FileOpen", dirFd: null, path: "/etc/hosts", flags: 0, mode: 0o644 },
};

/** Asserts `run` throws a ProtocolError with this code (and offset, unless null). */
function rejects(code: ProtocolErrorCode, offset: number | null, run: () => unknown): ProtocolError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ProtocolError, `expected ProtocolError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (offset !== null) assert.equal(error.offset, offset, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

const u32le = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

describe("encodeFrame / decodeFrame", () => {
  it("round-trips a message and lays out prefix, tag and request id little-endian", () => {
    const bytes = encodeFrame(open);
    assert.deepEqual(decodeFrame(bytes), open);
    const view = new DataView(bytes.buffer);
    assert.equal(view.getUint32(0, true), bytes.length - 4);
    assert.equal(view.getUint16(4, true), 0x0200);
    assert.equal(view.getBigUint64(6, true), 7n);
  });

  it("rejects a truncated frame at the end of the data", () => {
    const bytes = encodeFrame(open);
    rejects("truncated", 0, () => decodeFrame(bytes.subarray(0, 3)));
    rejects("truncated", bytes.length - 1, () => decodeFrame(bytes.subarray(0, bytes.length - 1)));
  });

  it("rejects garbage after the frame", () => {
    const bytes = encodeFrame(open);
    rejects("trailing-bytes", bytes.length, () => decodeFrame(concat(bytes, Uint8Array.of(0))));
  });

  it("rejects a length that undercounts the header and one that exceeds the maximum", () => {
    rejects("frame-too-short", 0, () => decodeFrame(concat(u32le(9), new Uint8Array(9))));
    rejects("oversized", 0, () => decodeFrame(concat(u32le(MAX_FRAME_SIZE + 1), new Uint8Array(16))));
    rejects("oversized", 0, () => decodeFrame(encodeFrame(open), 20));
  });

  it("rejects an unknown message tag, naming it", () => {
    const bytes = encodeFrame({ requestId: 0n, message: { type: "Ping" } });
    new DataView(bytes.buffer).setUint16(4, 0xbeef, true);
    const error = rejects("unknown-tag", 4, () => decodeFrame(bytes));
    assert.match(error.message, /0xbeef/);
  });

  it("rejects invalid UTF-8 at the string's first byte and names the field", () => {
    const bytes = encodeFrame({ requestId: 0n, message: { type: "Hostname", hostname: "ab" } });
    bytes[18] = 0xc0; // overlong encoding lead byte
    const error = rejects("bad-utf8", 18, () => decodeFrame(bytes));
    assert.equal(error.path, "Hostname.hostname");
  });

  it("keeps a leading byte-order mark instead of stripping it", () => {
    const frame: Frame = { requestId: 0n, message: { type: "Hostname", hostname: "\uFEFFx" } };
    assert.deepEqual(decodeFrame(encodeFrame(frame)), frame);
  });

  it("rejects a string length that runs past the frame before allocating", () => {
    const bytes = encodeFrame({ requestId: 0n, message: { type: "Hostname", hostname: "abc" } });
    new DataView(bytes.buffer).setUint32(14, 0xffffffff, true);
    rejects("truncated", 14, () => decodeFrame(bytes));
  });

  it("rejects a list count that claims more items than bytes remain", () => {
    const bytes = encodeFrame({ requestId: 0n, message: { type: "GetEnv", include: [], exclude: [] } });
    new DataView(bytes.buffer).setUint32(14, 1_000_000_000, true);
    const error = rejects("truncated", 14, () => decodeFrame(bytes));
    assert.match(error.message, /list of 1000000000/);
  });

  it("rejects bools, optionals, enums and variants outside their values", () => {
    const sync = encodeFrame({ requestId: 0n, message: { type: "FileSync", fd: 1n, dataOnly: true } });
    sync[22] = 2;
    rejects("bad-bool", 22, () => decodeFrame(sync));
    const opened = encodeFrame(open);
    opened[14] = 7;
    rejects("bad-optional", 14, () => decodeFrame(opened));
    const log = encodeFrame({ requestId: 0n, message: { type: "Log", level: "info", message: "" } });
    log[14] = 99;
    rejects("bad-enum", 14, () => decodeFrame(log));
    const lookup = encodeFrame({
      requestId: 0n,
      message: { type: "ReverseLookup", address: { kind: "v4", octets: Uint8Array.of(1, 2, 3, 4) } },
    });
    lookup[14] = 5;
    rejects("unknown-variant", 14, () => decodeFrame(lookup));
  });

  it("bounds the nesting of HTTP filter trees", () => {
    let filter: HttpFilter = { kind: "header", regex: "x" };
    for (let i = 0; i < MAX_NESTING_DEPTH; i++) filter = { kind: "allOf", filters: [filter] };
    const subscribe: Message = {
      type: "Subscribe",
      port: 80,
      mode: "steal",
      filter,
      listenAddress: { kind: "unixUnnamed" },
    };
    const error = rejects("too-deep", null, () =>
      decodeFrame(encodeFrame({ requestId: 0n, message: subscribe })),
    );
    assert.match(error.path, /^Subscribe\.filter(\.filters\.0)+$/);
    if (filter.kind !== "allOf") assert.fail();
    const shallower: Message = { ...subscribe, filter: filter.filters[0] as HttpFilter };
    assert.deepEqual(decodeFrame(encodeFrame({ requestId: 0n, message: shallower })).message, shallower);
  });
});

describe("encodeFrameParts", () => {
  it("keeps a large byte field by reference, the bytes around it copied, and the same frame in all", () => {
    const data = new Uint8Array(BY_REFERENCE_MIN_BYTES).fill(7);
    const frame: Frame = { requestId: 9n, message: { type: "OutgoingData", connId: 3n, data } };
    const parts = encodeFrameParts(frame);
    assert.equal(parts.length, 2);
    assert.equal(parts[1], data);
    assert.deepEqual(concat(...parts), encodeFrame(frame));
    assert.deepEqual(decodeFrame(concat(...parts)), frame);
  });

  it("copies a byte field below the threshold into one part", () => {
    const data = new Uint8Array(BY_REFERENCE_MIN_BYTES - 1).fill(1);
    const parts = encodeFrameParts({ requestId: 0n, message: { type: "OutgoingData", connId: 1n, data } });
    assert.equal(parts.length, 1);
    assert.notEqual(parts[0]?.buffer, data.buffer);
  });

  it("writes the length prefix into the first part when fields follow a large one", () => {
    const big = new Uint8Array(BY_REFERENCE_MIN_BYTES + 5).fill(2);
    const headers = [
      { name: "x-big", value: big },
      { name: "x-after", value: new Uint8Array([1, 2]) },
    ];
    const message: Message = { type: "HttpResponseEnd", connId: 1n, requestId: 2n, trailers: headers };
    const frame: Frame = { requestId: 5n, message };
    const parts = encodeFrameParts(frame);
    assert.equal(parts.length, 3);
    assert.deepEqual(decodeFrame(concat(...parts)), frame);
    assert.equal(
      new DataView(parts[0]?.buffer as ArrayBuffer).getUint32(0, true),
      concat(...parts).length - 4,
    );
  });
});

describe("encodeFrame value checks", () => {
  const invalid = (message: unknown, pattern: RegExp) =>
    assert.throws(
      () => encodeFrame({ requestId: 0n, message: message as Message }),
      (e: unknown) => e instanceof ProtocolError && e.code === "invalid-value" && pattern.test(e.message),
    );

  it("names the field of an out-of-range or mistyped value", () => {
    invalid({ type: "Subscribed", port: 70000 }, /expected u16, got 70000 \(in Subscribed\.port\)/);
    invalid({ type: "FileClose", fd: 1 }, /expected u64 bigint/);
    invalid({ type: "FileClose", fd: -1n }, /expected u64 bigint, got -1/);
    invalid({ type: "Hostname" }, /missing field \(in Hostname\.hostname\)/);
    invalid({ type: "Log", level: "loud", message: "" }, /loud is not a LogLevel/);
    invalid({ type: "Hostname", hostname: "\uD800" }, /lone UTF-16 surrogate/);
    invalid({ type: "ReverseLookup", address: { kind: "v4", octets: new Uint8Array(3) } }, /exactly 4 bytes/);
    invalid({ type: "Nope" }, /unknown message type Nope/);
  });

  it("refuses to build a frame above the maximum", () => {
    const big = { requestId: 0n, message: { type: "FileData", data: new Uint8Array(100) } } as const;
    assert.throws(
      () => encodeFrame(big, 50),
      (e: unknown) => e instanceof ProtocolError && e.code === "oversized",
    );
  });
});

describe("FrameDecoder", () => {
  const frames: Frame[] = [
    open,
    { requestId: 1n, message: { type: "Ping" } },
    { requestId: 2n, message: { type: "FileData", data: new Uint8Array(70_000).fill(9) } },
  ];
  const stream = concat(...frames.map((f) => encodeFrame(f)));
  const drain = (d: FrameDecoder): Frame[] => {
    const out: Frame[] = [];
    for (let f = d.next(); f; f = d.next()) out.push(f);
    return out;
  };

  it("yields whole frames from one-byte chunks", () => {
    const d = new FrameDecoder();
    const got: Frame[] = [];
    for (const byte of stream) {
      d.push(Uint8Array.of(byte));
      got.push(...drain(d));
    }
    assert.deepEqual(got, frames);
    d.end();
  });

  it("yields every frame of one large chunk and of random splits", () => {
    const whole = new FrameDecoder();
    whole.push(stream);
    assert.deepEqual(drain(whole), frames);
    for (const cut of [1, 4, 5, 13, 14, 40, stream.length - 1]) {
      const d = new FrameDecoder();
      d.push(stream.subarray(0, cut));
      const first = drain(d);
      d.push(stream.subarray(cut));
      assert.deepEqual([...first, ...drain(d)], frames, `cut at ${cut}`);
    }
  });

  const fileData = (frame: Frame | undefined): Uint8Array => {
    assert.equal(frame?.message.type, "FileData");
    return (frame.message as { data: Uint8Array }).data;
  };

  it("hands a large payload out as a view of its chunk, a small one as a copy that pins nothing", () => {
    const d = new FrameDecoder();
    d.push(stream);
    const [, , bulk] = drain(d);
    const data = fileData(bulk);
    assert.equal(data.buffer, stream.buffer);
    assert.deepEqual(data, new Uint8Array(70_000).fill(9));

    const small = { requestId: 3n, message: { type: "FileData", data: Uint8Array.of(1, 2, 3) } } as const;
    const big = encodeFrame({ requestId: 4n, message: { type: "FileData", data: new Uint8Array(1000) } });
    const chunk = concat(encodeFrame(small), big);
    const s = new FrameDecoder();
    s.push(chunk);
    const [first] = drain(s);
    assert.deepEqual(first, small);
    assert.notEqual(fileData(first).buffer, chunk.buffer);
  });

  it("rejects an oversized length as soon as the prefix arrives, without waiting for the body", () => {
    const d = new FrameDecoder(1024);
    d.push(u32le(0x7fffffff));
    rejects("oversized", 0, () => d.next());
    rejects("oversized", 0, () => d.next());
    assert.throws(() => d.push(Uint8Array.of(1)), ProtocolError);
  });

  it("delivers the good frames before a bad one", () => {
    const d = new FrameDecoder();
    d.push(concat(encodeFrame(open), u32le(3)));
    assert.deepEqual(d.next(), open);
    rejects("frame-too-short", 0, () => d.next());
  });

  it("reports a stream that ends inside a frame", () => {
    const d = new FrameDecoder();
    d.push(stream.subarray(0, 20));
    assert.deepEqual(drain(d), []);
    assert.equal(d.pendingBytes, 20);
    assert.throws(
      () => d.end(),
      (e: unknown) => e instanceof ProtocolError && e.code === "truncated",
    );
  });
});
