/**
 * The agent's outgoing connections, driven over the protocol as the intproxy drives them: a TCP echo
 * service, a UDP echo and a unix socket that only the pod can reach are reached through the agent,
 * bytes come back in order (a bulk transfer included), and closes travel both ways.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import {
  type Frame,
  type Message,
  type SocketAddress,
  socketAddressFromIp,
} from "../../src/protocol/index.ts";
import { ProtocolClient } from "../../src/transport/client.ts";
import {
  Cluster,
  type Pod,
  type Service,
  SimProcess,
  sampleApps,
  simulatorUnavailableReason,
} from "../simulator/index.ts";
import { mirrordBinary } from "../support/binary.ts";

const unavailable = simulatorUnavailableReason();
const AGENT_PORT = 61337;
const UNIX_PATH = "/run/echo.sock";

let cluster: Cluster;
let pod: Pod;
let echo: Service;
let udpPod: Pod;
let sink: Service;
let bulk: Service;
const BULK_MIB = 64;
const spawned: SimProcess[] = [];
let agentAddress: string;
const clients: ProtocolClient[] = [];

/** A client of the agent that collects the unsolicited OutgoingData/OutgoingClose frames per connection. */
async function agentClient() {
  const client = await ProtocolClient.connect({
    address: agentAddress,
    role: "intproxy",
    clientName: "outgoing-e2e",
    timeoutMs: 10_000,
  });
  clients.push(client);
  const received = new Map<bigint, { data: Buffer[]; closed: boolean; pauses: number; resumes: number }>();
  const entry = (connId: bigint) => {
    const found = received.get(connId) ?? { data: [], closed: false, pauses: 0, resumes: 0 };
    received.set(connId, found);
    return found;
  };
  client.onUnsolicited(({ message }: Frame) => {
    if (message.type === "OutgoingData") entry(message.connId).data.push(Buffer.from(message.data));
    if (message.type === "OutgoingClose") entry(message.connId).closed = true;
    if (message.type === "OutgoingPause") entry(message.connId).pauses++;
    if (message.type === "OutgoingResume") entry(message.connId).resumes++;
  });
  const until = async (what: string, check: () => boolean, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await Bun.sleep(10);
    }
  };
  return {
    client,
    bytes: (connId: bigint) => Buffer.concat(entry(connId).data),
    closed: (connId: bigint) => entry(connId).closed,
    flow: (connId: bigint) => ({ pauses: entry(connId).pauses, resumes: entry(connId).resumes }),
    until,
  };
}

function connectMessage(
  connId: bigint,
  transport: "tcp" | "udp" | "unixStream",
  address: SocketAddress,
): Message {
  return { type: "Connect", connId, transport, address };
}

describe.skipIf(unavailable !== undefined)("agent outgoing", () => {
  beforeAll(async () => {
    cluster = await Cluster.create({ name: "out-agent" });
    pod = await cluster.addPod({ name: "api", app: sampleApps.httpEcho(8080), ports: [8080] });
    echo = await cluster.addService({ name: "echo", port: 7000, app: sampleApps.tcpEcho(7000) });
    udpPod = await cluster.addPod({ name: "udp", app: sampleApps.udpEcho(5353) });
    // Reads nothing for 2 s, then everything, then answers with the byte count.
    sink = await cluster.addService({
      name: "sink",
      port: 7100,
      app: [
        "python3",
        "-c",
        `import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 7100)); s.listen()
while True:
    c, _ = s.accept(); time.sleep(2); n = 0
    while True:
        d = c.recv(1 << 20)
        if not d: break
        n += len(d)
    c.sendall(str(n).encode()); c.close()`,
      ],
    });
    bulk = await cluster.addService({
      name: "bulk",
      port: 7200,
      app: [
        "python3",
        "-c",
        `import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 7200)); s.listen()
block = bytes(range(256)) * 4096
while True:
    c, _ = s.accept()
    for _ in range(${BULK_MIB}): c.sendall(block)
    c.close()`,
      ],
    });
    await udpPod.app?.waitForStdout(/udp-echo listening/, "the UDP echo to listen", 15_000);
    const unixEcho = new SimProcess(pod.commandLine(sampleApps.unixEcho(UNIX_PATH)));
    spawned.push(unixEcho);
    await unixEcho.waitForStdout(/unix-echo listening/, "the unix echo to listen", 15_000);
    const agent = cluster.spawnInPodNetns(pod, [
      mirrordBinary(),
      "agent",
      "--communicate-port",
      String(AGENT_PORT),
      "-t",
      "30",
      "targeted",
      "--pid",
      String(pod.appPid),
    ]);
    spawned.push(agent);
    await agent.waitForStdout(/agent ready - version/, "the agent to listen", 15_000);
    const forward = await cluster.forward(pod, AGENT_PORT);
    agentAddress = `${forward.host}:${forward.port}`;
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all(spawned.map((process_) => process_.stop(1_000)));
    await cluster?.destroy();
  });

  test("the laptop itself cannot reach the cluster-only echo service", async () => {
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({ host: echo.ip, port: 7000 });
      socket.once("connect", () => resolve("connected"));
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    });
    expect(outcome).not.toBe("connected");
  });

  test("a TCP connection made from the pod carries bytes both ways and reports the pod-side address", async () => {
    const { client, bytes, closed, until } = await agentClient();
    const reply = await client.request(connectMessage(1n, "tcp", socketAddressFromIp(echo.ip, 7000)), 15_000);
    expect(reply.type).toBe("Connected");
    if (reply.type !== "Connected") return;
    expect(reply.localAddress).toMatchObject({
      kind: "ipv4",
      ip: Uint8Array.from(pod.ip.split(".").map(Number)),
    });
    expect(reply.remoteAddress).toEqual(socketAddressFromIp(echo.ip, 7000));

    const payload = Buffer.alloc(8 << 20);
    for (let i = 0; i < payload.length; i += 4) payload.writeUInt32LE(i, i);
    for (let offset = 0; offset < payload.length; offset += 60_000)
      client.notify({ type: "OutgoingData", connId: 1n, data: payload.subarray(offset, offset + 60_000) });
    client.notify({ type: "OutgoingClose", connId: 1n });
    await until("the echo of 8 MiB and its close", () => closed(1n), 60_000);
    expect(bytes(1n).equals(payload)).toBe(true);
  });

  test("a slow remote makes the agent ask the client to pause the connection, then resume; nothing is lost", async () => {
    const { client, bytes, closed, flow, until } = await agentClient();
    const reply = await client.request(connectMessage(6n, "tcp", socketAddressFromIp(sink.ip, 7100)), 15_000);
    expect(reply.type).toBe("Connected");
    const chunk = Buffer.alloc(256 << 10, 7);
    const total = 32 << 20;
    for (let sent = 0; sent < total; sent += chunk.length) {
      client.notify({ type: "OutgoingData", connId: 6n, data: chunk });
      // Like the intproxy: stop sending this connection while the agent asked for a pause.
      if (flow(6n).pauses > flow(6n).resumes)
        await until("the agent to resume the connection", () => flow(6n).pauses === flow(6n).resumes);
    }
    client.notify({ type: "OutgoingClose", connId: 6n });
    await until("the sink's byte count", () => closed(6n), 60_000);
    expect(flow(6n).pauses).toBeGreaterThan(0);
    expect(bytes(6n).toString()).toBe(String(total));
  });

  test("a client's OutgoingPause stops the remote's bytes until OutgoingResume", async () => {
    const { client, bytes, closed, until } = await agentClient();
    const reply = await client.request(connectMessage(7n, "tcp", socketAddressFromIp(bulk.ip, 7200)), 15_000);
    expect(reply.type).toBe("Connected");
    await until("the first bytes", () => bytes(7n).length > 0);
    client.notify({ type: "OutgoingPause", connId: 7n });
    await Bun.sleep(300); // what was already on its way arrives
    const whilePaused = bytes(7n).length;
    await Bun.sleep(1_000);
    expect(bytes(7n).length).toBe(whilePaused);
    expect(whilePaused).toBeLessThan(BULK_MIB << 20);
    client.notify({ type: "OutgoingResume", connId: 7n });
    await until("the whole transfer", () => closed(7n), 60_000);
    const expected = Buffer.alloc(1 << 20);
    for (let i = 0; i < expected.length; i++) expected[i] = i % 256;
    const all = bytes(7n);
    expect(all.length).toBe(BULK_MIB << 20);
    expect(all.subarray(all.length - (1 << 20)).equals(expected)).toBe(true);
  });

  test("a refused connection fails with ECONNREFUSED", async () => {
    const { client } = await agentClient();
    const reply = await client.request(connectMessage(2n, "tcp", socketAddressFromIp(echo.ip, 7001)), 15_000);
    expect(reply).toMatchObject({ type: "ErrorReply", error: { errno: 111 } });
  });

  test("UDP datagrams reach the pod-only echo and its answers come back", async () => {
    const { client, bytes, until } = await agentClient();
    const reply = await client.request(
      connectMessage(3n, "udp", socketAddressFromIp(udpPod.ip, 5353)),
      15_000,
    );
    expect(reply.type).toBe("Connected");
    client.notify({ type: "OutgoingData", connId: 3n, data: Buffer.from("ping") });
    await until("the UDP echo", () => bytes(3n).length > 0);
    expect(bytes(3n).toString()).toBe("echo:ping");
  });

  test("a unix stream connects to the socket inside the pod's filesystem", async () => {
    const { client, bytes, until } = await agentClient();
    const reply = await client.request(
      connectMessage(4n, "unixStream", { kind: "unixPath", path: UNIX_PATH }),
      15_000,
    );
    expect(reply.type).toBe("Connected");
    client.notify({ type: "OutgoingData", connId: 4n, data: Buffer.from("through the pod's /run") });
    await until("the unix echo", () => bytes(4n).length >= 22);
    expect(bytes(4n).toString()).toBe("through the pod's /run");
  });

  test("a client's connections are closed when it leaves", async () => {
    const { client } = await agentClient();
    const reply = await client.request(connectMessage(5n, "tcp", socketAddressFromIp(echo.ip, 7000)), 15_000);
    expect(reply.type).toBe("Connected");
    const before = (await pod.exec(["ss", "-tn", `dst ${echo.ip}:7000`])).stdout;
    client.close();
    const deadline = Date.now() + 10_000;
    let after = before;
    while (Date.now() < deadline && after.includes("ESTAB")) {
      await Bun.sleep(50);
      after = (await pod.exec(["ss", "-tn", "state", "established", `dst ${echo.ip}:7000`])).stdout;
    }
    expect(before).toContain("ESTAB");
    expect(after).not.toContain(echo.ip);
  });
});
