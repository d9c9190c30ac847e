/**
 * `mirrord agent targeted --pid` started on the laptop against a simulated pod: it must enter the pod
 * itself and serve the POD's environment and hostname, guard the session secret, survive bad clients,
 * and leave by itself once nobody uses it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { hostname as laptopHostname } from "node:os";
import {
  encodeFrame,
  type Frame,
  FrameDecoder,
  helloMessage,
  type Message,
  PROTOCOL_VERSION,
  socketAddressFromIp,
} from "../../src/protocol/index.ts";
import { ConnectError, ProtocolClient } from "../../src/transport/client.ts";
import { Cluster, type Pod, SimProcess, sampleApps, simulatorUnavailableReason } from "../simulator/index.ts";
import { mirrordBinary } from "../support/binary.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable !== undefined) console.warn(`SKIPPING agent end-to-end tests: ${unavailable}`);

const SECRET = "5eC0ffee00112233445566778899aabb";
const POD_HOSTNAME = "api-7d9f";
const AGENT_PORT = 61337;

let cluster: Cluster;
let pod: Pod;
let agent: SimProcess;
let agentAddress: string;
const spawned: SimProcess[] = [];
const clients: ProtocolClient[] = [];

function startAgent(args: string[], env: Record<string, string> = {}): SimProcess {
  const process_ = new SimProcess([mirrordBinary(), "agent", ...args], {
    env: { ...(process.env as Record<string, string>), MIRRORD_AGENT_SECRET: SECRET, ...env },
  });
  spawned.push(process_);
  return process_;
}

async function client(secret: string | null = SECRET): Promise<ProtocolClient> {
  const c = await ProtocolClient.connect({
    address: agentAddress,
    role: "cli",
    clientName: "agent-e2e",
    secret: secret === null ? null : Uint8Array.from(Buffer.from(secret, "hex")),
    timeoutMs: 5_000,
  });
  clients.push(c);
  return c;
}

/** A raw TCP peer for what a well-behaved client never sends. */
async function rawPeer(): Promise<{ socket: Socket; next(timeoutMs?: number): Promise<Frame | "closed"> }> {
  const [host, port] = agentAddress.split(":") as [string, string];
  const socket = connect({ host, port: Number(port) });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const decoder = new FrameDecoder();
  const frames: (Frame | "closed")[] = [];
  let wake: () => void = () => {};
  socket.on("data", (chunk: Buffer) => {
    decoder.push(chunk);
    for (let f = decoder.next(); f; f = decoder.next()) frames.push(f);
    wake();
  });
  socket.on("close", () => {
    frames.push("closed");
    wake();
  });
  socket.on("error", () => {});
  const next = async (timeoutMs = 5_000) => {
    const deadline = Date.now() + timeoutMs;
    while (frames.length === 0) {
      if (Date.now() > deadline) throw new Error("no frame from the agent in time");
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
    return frames.shift() as Frame | "closed";
  };
  return { socket, next };
}

function envOf(reply: Message): Record<string, string> {
  if (reply.type !== "Env") throw new Error(`expected Env, got ${JSON.stringify(reply)}`);
  return Object.fromEntries(reply.vars.map(({ name, value }) => [name, value]));
}

describe.skipIf(unavailable !== undefined)("mirrord agent targeted --pid (simulated pod)", () => {
  beforeAll(async () => {
    cluster = await Cluster.create({ name: "agent-e2e" });
    pod = await cluster.addPod({
      name: "api",
      hostname: POD_HOSTNAME,
      env: { APP_MODE: "cluster", DB_HOST: "db.internal", DB_PASSWORD: "s3cret", JAVA_HOME: "/opt/jdk" },
      app: sampleApps.httpEcho(8080),
      ports: [8080],
    });
    agent = startAgent(["-t", "10", "targeted", "--pid", String(pod.appPid)], { LAPTOP_ONLY_VAR: "laptop" });
    await agent.waitForStdout(/agent ready - version/, "the agent to listen", 15_000);
    const forward = await cluster.forward(pod, AGENT_PORT);
    agentAddress = `${forward.host}:${forward.port}`;
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(spawned.map((p) => p.stop(1_000)));
    await cluster?.destroy();
  });

  test("serves the pod's environment, filtered, never the laptop's, never the built-in exclusions", async () => {
    const c = await client();
    const all = envOf(await c.request({ type: "GetEnv", include: [], exclude: [] }, 5_000));
    expect(all).toMatchObject({ APP_MODE: "cluster", DB_HOST: "db.internal", DB_PASSWORD: "s3cret" });
    expect(all.HOSTNAME).toBe(POD_HOSTNAME);
    for (const hidden of ["PATH", "HOME", "JAVA_HOME", "LAPTOP_ONLY_VAR", "MIRRORD_AGENT_SECRET"])
      expect(all).not.toHaveProperty(hidden);
    const db = envOf(
      await c.request({ type: "GetEnv", include: ["DB_*", "JAVA_HOME"], exclude: ["*PASSWORD"] }),
    );
    expect(db).toEqual({ DB_HOST: "db.internal" });
  });

  test("reports the pod's hostname and nodename, not the laptop's", async () => {
    expect(laptopHostname()).not.toBe(POD_HOSTNAME);
    const c = await client();
    expect(await c.request({ type: "GetHostname" }, 5_000)).toEqual({
      type: "Hostname",
      hostname: POD_HOSTNAME,
    });
    const uname = await c.request({ type: "GetUname" }, 5_000);
    expect(uname).toMatchObject({ type: "Uname", sysname: "Linux", nodename: POD_HOSTNAME });
  });

  test("refuses a client without the session secret, or with a wrong one", async () => {
    await expect(client(null)).rejects.toThrow(/badSecret/);
    await expect(client("00".repeat(16))).rejects.toThrow(ConnectError);
  });

  test("rejects another protocol major version with a message naming both versions", async () => {
    const peer = await rawPeer();
    const hello = {
      ...helloMessage("cli", "old-client", Buffer.from(SECRET, "hex")),
      protocolVersion: "99.0.0",
    };
    peer.socket.write(encodeFrame({ requestId: 7n, message: hello }));
    const reply = await peer.next();
    expect(reply).not.toBe("closed");
    const { requestId, message } = reply as Frame;
    expect(requestId).toBe(7n);
    expect(message).toMatchObject({ type: "HelloRejected", reason: "versionMismatch" });
    if (message.type === "HelloRejected") {
      expect(message.message).toContain("99.0.0");
      expect(message.message).toContain(PROTOCOL_VERSION);
    }
    expect(await peer.next()).toBe("closed");
  });

  test("serves two clients at once, each getting the answers to its own requests", async () => {
    const [a, b] = await Promise.all([client(), client()]);
    const rounds = Array.from({ length: 10 }, () =>
      Promise.all([
        a.request({ type: "GetEnv", include: ["APP_*"], exclude: [] }, 5_000),
        b.request({ type: "GetHostname" }, 5_000),
      ]),
    );
    for (const [envReply, hostReply] of await Promise.all(rounds)) {
      expect(envOf(envReply)).toEqual({ APP_MODE: "cluster" });
      expect(hostReply).toEqual({ type: "Hostname", hostname: POD_HOSTNAME });
    }
  });

  test("answers an unsupported request with ENOSYS and keeps the connection", async () => {
    const c = await client();
    // ConnMetadata is the intproxy's to answer: no agent feature serves it.
    const address = socketAddressFromIp("127.0.0.1", 80);
    const reply = await c.request(
      { type: "ConnMetadata", listenerAddress: address, peerAddress: address },
      5_000,
    );
    expect(reply).toMatchObject({ type: "ErrorReply", error: { errno: 38 } });
    expect(await c.request({ type: "GetHostname" }, 5_000)).toMatchObject({ type: "Hostname" });
  });

  test("malformed bytes get Close and a hang-up for that client only; the agent keeps serving", async () => {
    const bystander = await client();
    const peer = await rawPeer();
    peer.socket.write(Buffer.from([3, 0, 0, 0, 0xde, 0xad, 0xbe])); // declares a 3-byte frame: too short
    const reply = await peer.next();
    expect(reply).not.toBe("closed");
    expect((reply as Frame).message).toMatchObject({ type: "Close" });
    if ((reply as Frame).message.type === "Close")
      expect(((reply as Frame).message as { reason: string }).reason).toMatch(/malformed frame/);
    expect(await peer.next()).toBe("closed");
    expect(await bystander.request({ type: "GetHostname" }, 5_000)).toMatchObject({ hostname: POD_HOSTNAME });
    expect((await client()).isOpen).toBe(true);
    expect(agent.exitStatus).toBeUndefined();
  });

  test("exits 0 by itself after the communication timeout when no client comes", async () => {
    const started = Date.now();
    const idle = startAgent([
      "-l",
      String(AGENT_PORT + 1),
      "-t",
      "2",
      "targeted",
      "--pid",
      String(pod.appPid),
    ]);
    await idle.waitForStdout(/agent ready/, "the idle agent to listen", 15_000);
    const exit = await Promise.race([
      idle.exited,
      new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), 10_000)),
    ]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(idle.stderr()).toContain("no client connected within 2 s");
  });
});
