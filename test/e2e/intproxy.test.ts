/**
 * `mirrord intproxy` in front of an agent, as `mirrord exec` and the layers meet it: it announces one
 * address, keeps every layer's answers apart on the single agent connection, tells the layers when the
 * agent is gone, and exits on its own.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { answerHello, encodeFrame, FrameDecoder, type Message } from "../../src/protocol/index.ts";
import { ProtocolClient } from "../../src/transport/client.ts";
import { type Exit, SimProcess } from "../simulator/index.ts";
import { mirrordBinary } from "../support/binary.ts";

const SECRET = "0123456789abcdef0123456789abcdef";
const LOG_FILE = join(tmpdir(), `mirrord-intproxy-e2e-${process.pid}.log`);
const spawned: SimProcess[] = [];
const clients: ProtocolClient[] = [];
const servers: Server[] = [];

function spawn(argv: string[], env: Record<string, string>): SimProcess {
  const child = new SimProcess(argv, { env: { ...(process.env as Record<string, string>), ...env } });
  spawned.push(child);
  return child;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === "object" && address ? address.port : 0;
}

/** A real agent targeting a local process with a known environment. */
async function startAgent(): Promise<{ agent: SimProcess; address: string }> {
  const target = spawn(["sleep", "120"], { TEAM_A_VALUE: "alpha", TEAM_B_VALUE: "beta" });
  const port = await freePort();
  const agent = spawn(
    [mirrordBinary(), "agent", "-l", String(port), "-t", "20", "targeted", "--pid", String(target.pid)],
    {
      MIRRORD_AGENT_SECRET: SECRET,
    },
  );
  await agent.waitForStdout(/agent ready/, "the agent to listen", 15_000);
  return { agent, address: `127.0.0.1:${port}` };
}

function startIntproxy(agentAddress: string, env: Record<string, string> = {}): SimProcess {
  return spawn([mirrordBinary(), "intproxy"], {
    MIRRORD_AGENT_ADDR: agentAddress,
    MIRRORD_AGENT_SECRET: SECRET,
    MIRRORD_INTPROXY_LOG_DESTINATION: LOG_FILE,
    MIRRORD_INTPROXY_LOG_LEVEL: "debug",
    ...env,
  });
}

async function announcedAddress(intproxy: SimProcess): Promise<string> {
  await intproxy.waitForStdout(/\n/, "the intproxy to print its address", 15_000);
  return intproxy.stdout();
}

async function layer(address: string): Promise<ProtocolClient> {
  const c = await ProtocolClient.connect({
    address,
    role: "layer",
    clientName: "e2e-layer",
    timeoutMs: 5_000,
  });
  clients.push(c);
  return c;
}

function exitWithin(child: SimProcess, ms: number): Promise<Exit | "still running"> {
  return Promise.race([
    child.exited,
    new Promise<"still running">((r) => setTimeout(() => r("still running"), ms)),
  ]);
}

/** A stand-in agent that completes the handshake and then never answers: requests stay pending. */
async function silentAgent(): Promise<{ address: string; hangUp(): void }> {
  const sockets: import("node:net").Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    const decoder = new FrameDecoder();
    socket.on("data", (chunk: Buffer) => {
      decoder.push(chunk);
      for (let f = decoder.next(); f; f = decoder.next())
        if (f.message.type === "Hello")
          socket.write(
            encodeFrame({
              requestId: f.requestId,
              message: answerHello(f.message, { serverVersion: "silent" }),
            }),
          );
    });
    socket.on("error", () => {});
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve));
  const address = server.address();
  return {
    address: `127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
    hangUp: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

afterAll(async () => {
  for (const c of clients) c.close();
  for (const server of servers) server.close();
  await Promise.all(spawned.map((p) => p.stop(1_000)));
  rmSync(LOG_FILE, { force: true });
});

describe("mirrord intproxy", () => {
  let agentAddress: string;
  beforeAll(async () => {
    agentAddress = (await startAgent()).address;
  });

  test("prints exactly its loopback address and nothing else on stdout", async () => {
    const intproxy = startIntproxy(agentAddress, { MIRRORD_INTPROXY_START_IDLE_TIMEOUT: "5" });
    const out = await announcedAddress(intproxy);
    expect(out).toMatch(/^127\.0\.0\.1:\d{1,5}\n$/);
    const c = await layer(out.trim());
    expect(c.serverVersion).toMatch(/^mirrord-intproxy /);
  });

  test("two layers' concurrent requests each get their own answers (request ids remapped)", async () => {
    const address = (await announcedAddress(startIntproxy(agentAddress))).trim();
    const [a, b] = await Promise.all([layer(address), layer(address)]);
    // Both clients number their requests 1, 2, 3 …: the intproxy must keep them apart on the agent link.
    const rounds = Array.from({ length: 25 }, () =>
      Promise.all([
        a.request({ type: "GetEnv", include: ["TEAM_A_*"], exclude: [] }, 5_000),
        b.request({ type: "GetEnv", include: ["TEAM_B_*"], exclude: [] }, 5_000),
      ]),
    );
    for (const [forA, forB] of await Promise.all(rounds)) {
      expect(forA).toEqual({ type: "Env", vars: [{ name: "TEAM_A_VALUE", value: "alpha" }] });
      expect(forB).toEqual({ type: "Env", vars: [{ name: "TEAM_B_VALUE", value: "beta" }] });
    }
  });

  test("exits 0 after the idle timeout once the last layer leaves", async () => {
    const intproxy = startIntproxy(agentAddress, { MIRRORD_INTPROXY_IDLE_TIMEOUT: "1" });
    const c = await layer((await announcedAddress(intproxy)).trim());
    expect(await c.request({ type: "GetHostname" }, 5_000)).toMatchObject({ type: "Hostname" });
    expect(await exitWithin(intproxy, 1_500)).toBe("still running");
    c.close();
    expect(await exitWithin(intproxy, 5_000)).toEqual({ code: 0, signal: null });
  });

  test("exits 0 when no layer connects within the start idle timeout", async () => {
    const intproxy = startIntproxy(agentAddress, { MIRRORD_INTPROXY_START_IDLE_TIMEOUT: "1" });
    await announcedAddress(intproxy);
    expect(await exitWithin(intproxy, 6_000)).toEqual({ code: 0, signal: null });
  });

  test("a wrong secret: exit 1 with a one-line cause on stderr and no address", async () => {
    const intproxy = startIntproxy(agentAddress, { MIRRORD_AGENT_SECRET: "ff".repeat(16) });
    expect(await exitWithin(intproxy, 10_000)).toEqual({ code: 1, signal: null });
    expect(intproxy.stdout()).toBe("");
    expect(intproxy.stderr().trim().split("\n")).toHaveLength(1);
    expect(intproxy.stderr()).toMatch(/cannot reach the agent at 127\.0\.0\.1:\d+: .*badSecret/);
  });

  test("an unreachable agent: exit 1 naming the address and the refusal", async () => {
    const closedPort = await freePort();
    const intproxy = startIntproxy(`127.0.0.1:${closedPort}`);
    expect(await exitWithin(intproxy, 10_000)).toEqual({ code: 1, signal: null });
    expect(intproxy.stdout()).toBe("");
    expect(intproxy.stderr().trim()).toBe(
      `error: mirrord intproxy: cannot reach the agent at 127.0.0.1:${closedPort}: cannot connect to 127.0.0.1:${closedPort}: ECONNREFUSED`,
    );
  });
});

describe("mirrord intproxy when the agent goes away", () => {
  test("killing the agent sends Close to every layer and the intproxy exits 1", async () => {
    const { agent, address: agentAddress } = await startAgent();
    const intproxy = startIntproxy(agentAddress);
    const address = (await announcedAddress(intproxy)).trim();
    const [a, b] = await Promise.all([layer(address), layer(address)]);
    const reasons = Promise.all([a, b].map((c) => new Promise<string>((resolve) => c.onClose(resolve))));
    agent.kill("SIGKILL");
    for (const reason of await reasons)
      expect(reason).toMatch(/^server closed the connection: agent connection lost: /);
    expect(await exitWithin(intproxy, 5_000)).toEqual({ code: 1, signal: null });
  });

  test("a request in flight when the agent is lost is answered with ErrorReply agentLost", async () => {
    const fake = await silentAgent();
    const intproxy = startIntproxy(fake.address, { MIRRORD_AGENT_SECRET: "" });
    const c = await layer((await announcedAddress(intproxy)).trim());
    const pending: Promise<Message> = c.request({ type: "GetHostname" }, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    fake.hangUp();
    expect(await pending).toMatchObject({ type: "ErrorReply", error: { errno: 5, kind: 8 } });
    expect(await exitWithin(intproxy, 5_000)).toEqual({ code: 1, signal: null });
    const log = readFileSync(LOG_FILE, "utf8");
    expect(log).toContain('"message":"agent connection lost"');
  });
});
