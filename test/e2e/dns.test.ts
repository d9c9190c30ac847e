/**
 * The agent answers getaddrinfo questions the way the pod would: the pod's hosts file, its cluster DNS
 * server, its search domains and ndots; the laptop itself cannot resolve those names.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Message, type MessageOf, PROTOCOL_VERSION } from "../../src/protocol/index.ts";
import { ProtocolClient } from "../../src/transport/client.ts";
import { type Service, sampleApps, simulatorUnavailableReason } from "../simulator/index.ts";
import { run } from "../support/binary.ts";
import { withLoopbackResolver } from "../support/hermetic-dns.ts";
import { type PodSession, startPodSession } from "../support/pod-session.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING DNS end-to-end tests: ${unavailable}`);

let session: PodSession;
let db: Service;
let client: ProtocolClient;

beforeAll(async () => {
  if (unavailable) return;
  session = await startPodSession("dns", {
    name: "api",
    hostname: "api-5f6d",
    app: sampleApps.httpEcho(8080),
    ports: [8080],
  });
  db = await session.cluster.addService({ name: "db", port: 5432, app: sampleApps.tcpEcho(5432) });
  client = await ProtocolClient.connect({
    address: session.agentAddress,
    role: "cli",
    clientName: `dns-test (protocol ${PROTOCOL_VERSION})`,
    timeoutMs: 10_000,
  });
}, 60_000);

afterAll(async () => {
  client?.close();
  await session?.destroy();
});

function getAddrInfo(node: string, hints: Partial<MessageOf<"GetAddrInfo">> = {}): Promise<Message> {
  return client.request(
    { type: "GetAddrInfo", node, service: "", family: 0, socktype: 0, protocol: 0, flags: 0, ...hints },
    15_000,
  );
}

function addresses(reply: Message): string[] {
  if (reply.type !== "AddrInfo") throw new Error(`expected AddrInfo, got ${JSON.stringify(reply)}`);
  return reply.entries.map((entry) => [...entry.address.octets].join("."));
}

describe.skipIf(unavailable !== undefined)("remote DNS through the agent", () => {
  test("a short service name resolves through the pod's search domains and cluster DNS", async () => {
    const reply = await getAddrInfo("db", { service: "5432", socktype: 1 });
    expect(addresses(reply)).toEqual([db.ip]);
    if (reply.type !== "AddrInfo") return;
    expect(reply.entries[0]).toMatchObject({ family: 2, socktype: 1, protocol: 6, port: 5432 });
    expect(reply.entries[0]?.canonname).toBe("db.default.svc.cluster.local");
  });

  test("the fully qualified name resolves too, and the laptop cannot resolve either", async () => {
    expect(addresses(await getAddrInfo(db.fqdn, { family: 2, socktype: 2 }))).toEqual([db.ip]);
    const laptop = await run(withLoopbackResolver(["getent", "hosts", db.fqdn]));
    expect(laptop.code).not.toBe(0);
  });

  test("unspecified hints give glibc's stream, datagram and raw entry per address", async () => {
    const reply = await getAddrInfo("db", { family: 2 });
    if (reply.type !== "AddrInfo") throw new Error(JSON.stringify(reply));
    expect(reply.entries.map((entry) => [entry.socktype, entry.protocol])).toEqual([
      [1, 6],
      [2, 17],
      [3, 0],
    ]);
  });

  test("the pod's own hostname comes from the pod's hosts file", async () => {
    expect(addresses(await getAddrInfo("api-5f6d", { family: 2, socktype: 1 }))).toEqual([session.pod.ip]);
  });

  test("service names map through /etc/services; unknown names and hosts get getaddrinfo's codes", async () => {
    const http = await getAddrInfo("db", { service: "http", family: 2, socktype: 1 });
    if (http.type !== "AddrInfo") throw new Error(JSON.stringify(http));
    expect(http.entries[0]?.port).toBe(80);
    const noService = await getAddrInfo("db", { service: "no-such-service" });
    expect(noService).toMatchObject({ type: "ErrorReply", error: { errno: -8 } });
    const noHost = await getAddrInfo("no-such-host");
    expect(noHost).toMatchObject({ type: "ErrorReply", error: { errno: -2 } });
    if (noHost.type === "ErrorReply")
      expect(noHost.error.message).toContain("no-such-host.default.svc.cluster.local");
  });

  test("a reverse lookup names a cluster address with a name that resolves back to it", async () => {
    const octets = Uint8Array.from(db.ip.split(".").map(Number));
    const reply = await client.request({ type: "ReverseLookup", address: { kind: "v4", octets } }, 15_000);
    if (reply.type !== "ReverseLookupResult") throw new Error(JSON.stringify(reply));
    expect(reply.hostname).toEndWith(".cluster.local");
    expect(addresses(await getAddrInfo(reply.hostname, { family: 2, socktype: 1 }))).toEqual([db.ip]);
    const unknown = await client.request(
      { type: "ReverseLookup", address: { kind: "v4", octets: Uint8Array.from([10, 244, 9, 9]) } },
      15_000,
    );
    // The simulator's dnsmasq REFUSES unknown PTR names; glibc reports that as EAI_AGAIN too.
    expect(unknown).toMatchObject({ type: "ErrorReply", error: { errno: -3, kind: 5 } });
  });
});
