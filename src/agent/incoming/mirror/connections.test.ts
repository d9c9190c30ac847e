import { describe, expect, test } from "bun:test";
import {
  type CloseReason,
  type ConnectionSink,
  ConnectionTracker,
  type Endpoint,
  type TrackerLimits,
} from "./connections.ts";
import { type PacketSpec, segment } from "./segments.fixture.ts";

type Event =
  | ["opened", number, string, string]
  | ["data", number, string]
  | ["clientFinished", number]
  | ["closed", number, CloseReason];

const show = (endpoint: Endpoint) => `${endpoint.ip.join(".")}:${endpoint.port}`;

function tracker(limits?: Partial<TrackerLimits>) {
  const events: Event[] = [];
  const sink: ConnectionSink = {
    opened: (id, client, server) => events.push(["opened", id, show(client), show(server)]),
    data: (id, bytes) => events.push(["data", id, new TextDecoder().decode(bytes)]),
    clientFinished: (id) => events.push(["clientFinished", id]),
    closed: (id, reason) => events.push(["closed", id, reason]),
  };
  const t = new ConnectionTracker(sink, {
    maxPendingBytes: 1024,
    maxConnections: 100,
    idleMs: 60_000,
    ...limits,
  });
  let now = 0;
  return {
    t,
    events,
    /** client → server (10.244.3.2:40000 → 10.244.1.2:8080 unless said otherwise) */
    client: (spec: PacketSpec) => t.accept(segment(spec), false, now),
    server: (spec: PacketSpec) =>
      t.accept(
        segment({
          source: "10.244.1.2",
          destination: "10.244.3.2",
          sourcePort: 8080,
          destinationPort: 40000,
          ...spec,
        }),
        true,
        now,
      ),
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

const CLIENT = "10.244.3.2:40000";
const SERVER = "10.244.1.2:8080";

describe("ConnectionTracker", () => {
  test("a connection opens when the handshake completes and closes after FINs both ways (client first)", () => {
    const { client, server, events } = tracker();
    client({ flags: "S", seq: 99 });
    server({ flags: "SA", seq: 5000, ack: 100 });
    expect(events).toEqual([]);
    client({ flags: "A", seq: 100, ack: 5001 });
    client({ flags: "PA", seq: 100, payload: "GET / HTTP/1.1\r\n\r\n" });
    server({ flags: "PA", seq: 5001, ack: 118, payload: "HTTP/1.1 200 OK\r\n\r\n" });
    client({ flags: "FA", seq: 118 });
    server({ flags: "FA", seq: 5020, ack: 119 });
    client({ flags: "A", seq: 119 });
    expect(events).toEqual([
      ["opened", 1, CLIENT, SERVER],
      ["data", 1, "GET / HTTP/1.1\r\n\r\n"],
      ["clientFinished", 1],
      ["closed", 1, "finished"],
    ]);
  });

  test("the server closing first ends the connection at the client's FIN", () => {
    const { client, server, events } = tracker();
    client({ flags: "S", seq: 0 });
    client({ flags: "PA", seq: 1, payload: "ping" });
    server({ flags: "FA", seq: 1, ack: 5 });
    expect(events.at(-1)).toEqual(["data", 1, "ping"]);
    client({ flags: "FA", seq: 5 });
    expect(events.slice(-2)).toEqual([
      ["clientFinished", 1],
      ["closed", 1, "finished"],
    ]);
  });

  test("a refused connection (RST to the SYN) is never reported", () => {
    const { client, server, events, t } = tracker();
    client({ flags: "S", seq: 0 });
    server({ flags: "RA", seq: 0, ack: 1 });
    expect(events).toEqual([]);
    expect(t.size).toBe(0);
  });

  test("a RST from either side closes the connection as reset", () => {
    const { client, server, events } = tracker();
    client({ flags: "S", seq: 0 });
    client({ flags: "PA", seq: 1, payload: "a" });
    client({ flags: "R", seq: 2 });
    client({ flags: "S", seq: 0, sourcePort: 40001 });
    client({ flags: "PA", seq: 1, sourcePort: 40001, payload: "b" });
    server({ flags: "R", seq: 9, destinationPort: 40001 });
    expect(events).toEqual([
      ["opened", 1, CLIENT, SERVER],
      ["data", 1, "a"],
      ["closed", 1, "reset"],
      ["opened", 2, "10.244.3.2:40001", SERVER],
      ["data", 2, "b"],
      ["closed", 2, "reset"],
    ]);
  });

  test("joins a connection mid-stream at its first data, ignoring bare ACKs and FINs of unknown ones", () => {
    const { client, events } = tracker();
    client({ flags: "A", seq: 700 });
    client({ flags: "FA", seq: 700 });
    client({ flags: "PA", seq: 700, payload: "mid" });
    client({ flags: "PA", seq: 703, payload: "dle" });
    expect(events).toEqual([
      ["opened", 1, CLIENT, SERVER],
      ["data", 1, "mid"],
      ["data", 1, "dle"],
    ]);
  });

  test("segments straggling in after a close do not open a phantom connection", () => {
    const { client, server, events, advance } = tracker();
    client({ flags: "S", seq: 0 });
    client({ flags: "PA", seq: 1, payload: "x" });
    client({ flags: "R", seq: 2 });
    client({ flags: "PA", seq: 1, payload: "x" });
    server({ flags: "A", ack: 2 });
    expect(events.length).toBe(3);
    advance(61_000);
    client({ flags: "S", seq: 50 });
    client({ flags: "PA", seq: 51, payload: "new" });
    expect(events.slice(3)).toEqual([
      ["opened", 2, CLIENT, SERVER],
      ["data", 2, "new"],
    ]);
  });

  test("a new SYN on the same addresses replaces the old connection; a retransmitted SYN does not", () => {
    const { client, events } = tracker();
    client({ flags: "S", seq: 0 });
    client({ flags: "S", seq: 0 });
    client({ flags: "PA", seq: 1, payload: "one" });
    client({ flags: "S", seq: 9000 });
    client({ flags: "A", seq: 9001 });
    expect(events).toEqual([
      ["opened", 1, CLIENT, SERVER],
      ["data", 1, "one"],
      ["closed", 1, "replaced"],
      ["opened", 2, CLIENT, SERVER],
    ]);
  });

  test("TCP Fast Open data in the SYN is delivered first", () => {
    const { client, events } = tracker();
    client({ flags: "S", seq: 10, payload: "early" });
    client({ flags: "PA", seq: 16, payload: "-later" });
    expect(events).toEqual([
      ["opened", 1, CLIENT, SERVER],
      ["data", 1, "early"],
      ["data", 1, "-later"],
    ]);
  });

  test("the server acknowledging bytes the capture missed closes the connection as lost", () => {
    const { client, server, events } = tracker();
    client({ flags: "S", seq: 0 });
    client({ flags: "PA", seq: 1, payload: "abc" });
    client({ flags: "PA", seq: 7, payload: "ghi" });
    server({ flags: "A", ack: 10 });
    expect(events.at(-1)).toEqual(["closed", 1, "lost"]);
  });

  test("silent connections close as idle; closeAll ends one port's or every connection", () => {
    const { client, events, advance, t, now } = tracker({ idleMs: 1000 });
    client({ flags: "PA", seq: 1, payload: "a" });
    advance(600);
    client({ flags: "PA", seq: 1, payload: "b", sourcePort: 40001 });
    advance(600);
    t.sweep(now());
    expect(events.at(-1)).toEqual(["closed", 1, "idle"]);
    client({ flags: "PA", seq: 1, payload: "c", destinationPort: 9000 });
    t.closeAll("stopped", now(), 9000);
    expect(events.at(-1)).toEqual(["closed", 3, "stopped"]);
    t.closeAll("stopped", now());
    expect(events.at(-1)).toEqual(["closed", 2, "stopped"]);
    expect(t.size).toBe(0);
  });

  test("follows IPv6 connections", () => {
    const { t, events } = tracker();
    t.accept(segment({ family: 6, flags: "S", seq: 0 }), false, 0);
    t.accept(segment({ family: 6, flags: "PA", seq: 1, payload: "v6" }), false, 0);
    expect(events[0]?.[0]).toBe("opened");
    expect(events[0]?.[2]).toBe("253.0.0.0.0.0.0.0.0.0.0.0.0.3.0.2:40000");
    expect(events[1]).toEqual(["data", 1, "v6"]);
  });

  test("new connections beyond the limit are ignored", () => {
    const { client, events } = tracker({ maxConnections: 1 });
    client({ flags: "PA", seq: 1, payload: "a" });
    client({ flags: "PA", seq: 1, payload: "b", sourcePort: 40001 });
    expect(events).toEqual([
      ["opened", 1, CLIENT, SERVER],
      ["data", 1, "a"],
    ]);
  });
});
