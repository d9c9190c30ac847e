/**
 * Incoming mirror at the agent: a client in another namespace talks HTTP and raw TCP to the pod's IP;
 * the pod's apps still answer, and a subscriber of the agent (over the protocol, as the intproxy) gets
 * a byte-identical copy of every connection's client→server stream, taken by sniffing in the pod's
 * network namespace.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Cluster,
  type Pod,
  type SimProcess,
  sampleApps,
  simulatorUnavailableReason,
} from "../simulator/index.ts";
import { mirrordBinary } from "../support/binary.ts";
import { bytesOf, MirrorSubscriber } from "./mirror-subscriber.ts";
import { CONCURRENT_SENDERS } from "./traffic-clients.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING mirror agent tests: ${unavailable}`);

const AGENT_PORT = 61337;
const HTTP_PORT = 8080;
const TCP_PORT = 9000;
let cluster: Cluster;
let pod: Pod;
let client: Pod;
let agent: SimProcess;
let agentAddress: string;
let subscriber: MirrorSubscriber;

beforeAll(async () => {
  if (unavailable) return;
  cluster = await Cluster.create({ name: "mirror-agent" });
  pod = await cluster.addPod({
    name: "api",
    app: [
      "sh",
      "-c",
      `${sampleApps.httpEcho(HTTP_PORT).join(" ")} & exec ${sampleApps.tcpEcho(TCP_PORT).join(" ")}`,
    ],
    ports: [HTTP_PORT, TCP_PORT],
  });
  client = await cluster.addClient("c1");
  agent = cluster.spawnInPodNetns(pod, [
    mirrordBinary(),
    "agent",
    "--communicate-port",
    String(AGENT_PORT),
    "-t",
    "60",
    "targeted",
    "--pid",
    String(pod.appPid),
  ]);
  await agent.waitForStdout(/agent ready - version/, "the agent to listen", 15_000);
  const forward = await cluster.forward(pod, AGENT_PORT);
  agentAddress = `${forward.host}:${forward.port}`;
  subscriber = await MirrorSubscriber.connect(agentAddress, [HTTP_PORT, TCP_PORT]);
}, 90_000);

afterAll(async () => {
  subscriber?.close();
  await agent?.stop(1_000);
  await cluster?.destroy();
});

/** Runs a Python client inside the client namespace; it prints JSON. */
async function python<T>(code: string, ...args: string[]): Promise<T> {
  const result = await client.exec(["python3", "-c", code, ...args], { timeoutMs: 120_000 });
  if (result.code !== 0) throw new Error(`client failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** Sends exactly these bytes (hex) on one connection, reads the reply to EOF, reports both. */
const EXACT_SENDER = `
import json, socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
for part in sys.argv[3:]:
    s.sendall(bytes.fromhex(part))
s.shutdown(socket.SHUT_WR)
reply = b""
while True:
    b = s.recv(65536)
    if not b: break
    reply += b
print(json.dumps({"port": s.getsockname()[1], "reply": reply.decode("latin1")}))
`;

/** A TCP echo on [::] (dual-stack, so IPv4 too), for tests that start one on a port of their own. */
const IPV6_ECHO = `
import socket, sys, threading
server = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
server.bind(("::", int(sys.argv[1]))); server.listen(64)
print("listening", flush=True)
def echo(c):
    while True:
        b = c.recv(65536)
        if not b: break
        c.sendall(b)
    c.close()
while True:
    c, _ = server.accept()
    threading.Thread(target=echo, args=(c,), daemon=True).start()
`;
const V6_PORT = 9100;

/**
 * One connection sending its parts (hex) one by one: part n waits for the file <dir>/step-<n>, so the
 * test decides when each goes. Prints "connected <port>" and "sent <n>" as it goes, then the echo.
 */
const STEPPED_SENDER = `
import os, socket, sys, time
ip, port, directory, parts = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
s = socket.create_connection((ip, port), timeout=30)
print("connected", s.getsockname()[1], flush=True)
for n, part in enumerate(parts):
    deadline = time.monotonic() + 60
    while n > 0 and not os.path.exists(os.path.join(directory, "step-%d" % n)):
        if time.monotonic() > deadline: sys.exit("step %d never came" % n)
        time.sleep(0.02)
    s.sendall(bytes.fromhex(part))
    print("sent", n, flush=True)
s.shutdown(socket.SHUT_WR)
reply = b""
while chunk := s.recv(65536):
    reply += chunk
print("echo", reply.decode(), flush=True)
`;

/** Starts STEPPED_SENDER from the client namespace; `next()` lets the next part go. */
async function steppedSender(port: number, parts: string[]) {
  const directory = mkdtempSync(join(tmpdir(), "mirror-steps-"));
  const sender = cluster.spawnInPodNetns(client, [
    "python3",
    "-c",
    STEPPED_SENDER,
    pod.ip,
    String(port),
    directory,
    ...parts.map((part) => Buffer.from(part).toString("hex")),
  ]);
  await sender.waitForStdout(/sent 0/, "the first part to be sent", 30_000);
  const clientPort = Number(/connected (\d+)/.exec(sender.stdout())?.[1]);
  let step = 0;
  return {
    clientPort,
    async next() {
      step += 1;
      writeFileSync(join(directory, `step-${step}`), "");
      await sender.waitForStdout(new RegExp(`sent ${step}`), `part ${step} to be sent`, 30_000);
    },
    async echo() {
      await sender.waitForStdout(/echo /, "the echo", 30_000);
      rmSync(directory, { recursive: true, force: true });
      return /echo (.*)/.exec(sender.stdout())?.[1];
    },
  };
}

const sha256 = (bytes: Uint8Array) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");

describe.skipIf(unavailable !== undefined)("agent: incoming mirror", () => {
  test("an HTTP request is copied byte for byte while the pod's app answers it", async () => {
    const request = Buffer.from(
      `POST /orders?id=7 HTTP/1.1\r\nHost: api\r\nX-Trace: mirror-1\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world`,
    );
    const sent = await python<{ port: number; reply: string }>(
      EXACT_SENDER,
      pod.ip,
      String(HTTP_PORT),
      request.subarray(0, 20).toString("hex"),
      request.subarray(20).toString("hex"),
    );
    expect(sent.reply).toStartWith("HTTP/1.1 200");
    expect(JSON.parse(sent.reply.slice(sent.reply.indexOf("\r\n\r\n") + 4))).toMatchObject({
      app: "http-echo",
      method: "POST",
      path: "/orders?id=7",
      body: "hello world",
    });
    const [copy] = await subscriber.closedFrom(HTTP_PORT, [sent.port], 20_000);
    expect(bytesOf(copy as NonNullable<typeof copy>).toString("latin1")).toBe(request.toString("latin1"));
    expect(copy).toMatchObject({
      port: HTTP_PORT,
      remote: { host: client.ip, port: sent.port },
      local: { host: pod.ip, port: HTTP_PORT },
      finished: true,
    });
  }, 60_000);

  test("curl's requests, a 10 MiB upload included, are copied intact", async () => {
    const upload = await client.exec(
      [
        "sh",
        "-c",
        "head -c 7864320 /dev/urandom | base64 -w0 > /tmp/upload && sha256sum /tmp/upload | cut -d' ' -f1 && " +
          `curl -sS -o /tmp/answer -w '%{http_code} %{local_port}\\n' -H 'Expect:' --data-binary @/tmp/upload http://${pod.ip}:${HTTP_PORT}/upload && ` +
          "python3 -c \"import json; print(len(json.load(open('/tmp/answer'))['body']))\"",
      ],
      { timeoutMs: 120_000 },
    );
    expect(upload.stderr).toBe("");
    const [uploadSha = "", status = "", localPort = "", answeredLength = ""] = upload.stdout
      .trim()
      .split(/\s+/);
    expect(status).toBe("200");
    expect(Number(answeredLength)).toBe(10 * 1024 * 1024);
    const [copy] = await subscriber.closedFrom(HTTP_PORT, [Number(localPort)], 60_000);
    const bytes = bytesOf(copy as NonNullable<typeof copy>);
    const split = bytes.indexOf("\r\n\r\n");
    expect(bytes.subarray(0, split).toString("latin1").split("\r\n")).toEqual([
      "POST /upload HTTP/1.1",
      `Host: ${pod.ip}:${HTTP_PORT}`,
      expect.stringMatching(/^User-Agent: curl\//),
      "Accept: */*",
      "Content-Length: 10485760",
      "Content-Type: application/x-www-form-urlencoded",
    ]);
    expect(sha256(bytes.subarray(split + 4))).toBe(uploadSha);
  }, 150_000);

  test("100 concurrent raw TCP connections are each copied exactly while the pod's app echoes them", async () => {
    const size = 200 * 1024;
    const sent = await python<{ port: number; sha256: string; echoed: boolean }[]>(
      CONCURRENT_SENDERS,
      pod.ip,
      String(TCP_PORT),
      "100",
      String(size),
    );
    expect(sent).toHaveLength(100);
    expect(sent.filter((connection) => !connection.echoed)).toEqual([]);
    const copies = await subscriber.closedFrom(
      TCP_PORT,
      sent.map((connection) => connection.port),
      60_000,
    );
    const mismatched = sent.filter((connection, index) => {
      const bytes = bytesOf(copies[index] as NonNullable<(typeof copies)[number]>);
      return bytes.length !== size || sha256(bytes) !== connection.sha256;
    });
    expect(mismatched).toEqual([]);
  }, 180_000);

  test("every subscriber of a port gets its own copy; after Unsubscribe a client gets none", async () => {
    const second = await MirrorSubscriber.connect(agentAddress, [TCP_PORT]);
    try {
      const first = await python<{ port: number; reply: string }>(
        EXACT_SENDER,
        pod.ip,
        String(TCP_PORT),
        "6f6e65",
      );
      expect(first.reply).toBe("one");
      const [a] = await subscriber.closedFrom(TCP_PORT, [first.port], 20_000);
      const [b] = await second.closedFrom(TCP_PORT, [first.port], 20_000);
      expect(bytesOf(a as NonNullable<typeof a>).toString()).toBe("one");
      expect(bytesOf(b as NonNullable<typeof b>).toString()).toBe("one");

      expect((await second.client.request({ type: "Unsubscribe", port: TCP_PORT }, 10_000)).type).toBe("Ok");
      const after = await python<{ port: number; reply: string }>(
        EXACT_SENDER,
        pod.ip,
        String(TCP_PORT),
        "74776f",
      );
      expect(after.reply).toBe("two");
      const [c] = await subscriber.closedFrom(TCP_PORT, [after.port], 20_000);
      expect(bytesOf(c as NonNullable<typeof c>).toString()).toBe("two");
      expect(second.from(TCP_PORT, after.port)).toBeUndefined();
    } finally {
      second.close();
    }
  }, 90_000);
  test("IPv6 over the pod's loopback is copied once", async () => {
    const server = cluster.spawnInPodNetns(pod, ["python3", "-c", IPV6_ECHO, String(V6_PORT)]);
    try {
      await server.waitForStdout(/listening/, "the IPv6 echo to listen", 15_000);
      const v6 = await MirrorSubscriber.connect(agentAddress, [V6_PORT]);
      try {
        const sent = await pod.exec(
          ["python3", "-c", EXACT_SENDER, "::1", String(V6_PORT), "7636", "2d6c6f"],
          {
            timeoutMs: 30_000,
          },
        );
        const { port, reply } = JSON.parse(sent.stdout) as { port: number; reply: string };
        expect(reply).toBe("v6-lo");
        const [copy] = await v6.closedFrom(V6_PORT, [port], 20_000);
        expect(copy?.remote).toEqual({ host: "::1", port });
        expect(copy?.local).toEqual({ host: "::1", port: V6_PORT });
        expect(bytesOf(copy as NonNullable<typeof copy>).toString()).toBe("v6-lo");
        expect([...v6.copies.values()].filter((other) => other.remote.port === port)).toHaveLength(1);
      } finally {
        v6.close();
      }
    } finally {
      await server.stop(1_000);
    }
  }, 60_000);

  test("the pod's own connections out to another host's port of the same number are not copied", async () => {
    const listener = cluster.spawnInPodNetns(client, ["python3", "-c", IPV6_ECHO, String(TCP_PORT)]);
    try {
      await listener.waitForStdout(/listening/, "the client's echo to listen", 15_000);
      const out = await pod.exec(["python3", "-c", EXACT_SENDER, client.ip, String(TCP_PORT), "6f7574"], {
        timeoutMs: 30_000,
      });
      const { port, reply } = JSON.parse(out.stdout) as { port: number; reply: string };
      expect(reply).toBe("out");
      // A connection to the pod afterwards is copied: the one before it was seen and skipped, not missed.
      const later = await python<{ port: number; reply: string }>(
        EXACT_SENDER,
        pod.ip,
        String(TCP_PORT),
        "696e",
      );
      await subscriber.closedFrom(TCP_PORT, [later.port], 20_000);
      // The pod's end of its own connection is pod.ip:port (a client's source port may equal `port`).
      const isPodEnd = (end: { host: string; port: number }) => end.host === pod.ip && end.port === port;
      expect(
        [...subscriber.copies.values()].filter((copy) => isPodEnd(copy.remote) || isPodEnd(copy.local)),
      ).toEqual([]);
    } finally {
      await listener.stop(1_000);
    }
  }, 60_000);

  test("one subscriber closing its copy early leaves the other subscriber's copy whole", async () => {
    const second = await MirrorSubscriber.connect(agentAddress, [TCP_PORT]);
    try {
      const size = 4 * 1024 * 1024;
      const sending = python<{ port: number; sha256: string; echoed: boolean }[]>(
        CONCURRENT_SENDERS,
        pod.ip,
        String(TCP_PORT),
        "1",
        String(size),
      );
      // The second subscriber hangs up on the connection as soon as it sees it.
      const deadline = Date.now() + 30_000;
      let closedEarly: bigint | undefined;
      while (closedEarly === undefined && Date.now() < deadline) {
        const copy = [...second.copies.values()].find((candidate) => candidate.remote.host === client.ip);
        if (copy) {
          closedEarly = copy.connId;
          second.client.notify({ type: "IncomingClose", connId: copy.connId });
        } else await Bun.sleep(5);
      }
      const [sent] = await sending;
      if (!sent) throw new Error("the client reported no connection");
      expect(closedEarly).toBeDefined();
      expect(sent.echoed).toBe(true);
      const [copy] = await subscriber.closedFrom(TCP_PORT, [sent.port], 30_000);
      const bytes = bytesOf(copy as NonNullable<typeof copy>);
      expect({ bytes: bytes.length, sha256: sha256(bytes) }).toEqual({ bytes: size, sha256: sent.sha256 });
    } finally {
      second.close();
    }
  }, 90_000);
  test("a connection already open when the port is subscribed is copied from the next bytes on", async () => {
    const port = 9101;
    const server = cluster.spawnInPodNetns(pod, ["python3", "-c", IPV6_ECHO, String(port)]);
    try {
      await server.waitForStdout(/listening/, "the echo to listen", 15_000);
      const sender = await steppedSender(port, ["before|", "after"]);
      const late = await MirrorSubscriber.connect(agentAddress, [port]);
      try {
        await sender.next();
        expect(await sender.echo()).toBe("before|after");
        const [copy] = await late.closedFrom(port, [sender.clientPort], 20_000);
        expect(bytesOf(copy as NonNullable<typeof copy>).toString()).toBe("after");
        expect(copy?.finished).toBe(true);
      } finally {
        late.close();
      }
    } finally {
      await server.stop(1_000);
    }
  }, 60_000);

  test("after the last Unsubscribe of a port, copies already under way go on to their end", async () => {
    const port = 9102;
    const server = cluster.spawnInPodNetns(pod, ["python3", "-c", IPV6_ECHO, String(port)]);
    try {
      await server.waitForStdout(/listening/, "the echo to listen", 15_000);
      const only = await MirrorSubscriber.connect(agentAddress, [port]);
      try {
        const sender = await steppedSender(port, ["first|", "second|", "third"]);
        const deadline = Date.now() + 20_000;
        while (Buffer.concat(only.from(port, sender.clientPort)?.chunks ?? []).toString() !== "first|") {
          if (Date.now() > deadline) throw new Error("the first part was never copied");
          await Bun.sleep(20);
        }
        expect((await only.client.request({ type: "Unsubscribe", port }, 10_000)).type).toBe("Ok");
        await sender.next();
        await sender.next();
        expect(await sender.echo()).toBe("first|second|third");
        const [copy] = await only.closedFrom(port, [sender.clientPort], 20_000);
        expect(bytesOf(copy as NonNullable<typeof copy>).toString()).toBe("first|second|third");
        // A new connection to the port is no longer copied.
        const after = await python<{ port: number; reply: string }>(
          EXACT_SENDER,
          pod.ip,
          String(port),
          "6e6577",
        );
        expect(after.reply).toBe("new");
        expect(only.from(port, after.port)).toBeUndefined();
      } finally {
        only.close();
      }
    } finally {
      await server.stop(1_000);
    }
  }, 60_000);

  test("an agent without CAP_NET_RAW refuses to mirror, saying why", async () => {
    const port = AGENT_PORT + 1;
    const limited = cluster.spawnInPodNetns(pod, [
      "setpriv",
      "--bounding-set",
      "-net_raw",
      "--",
      mirrordBinary(),
      "agent",
      "--communicate-port",
      String(port),
      "-t",
      "30",
      "targeted",
      "--pid",
      String(pod.appPid),
    ]);
    try {
      await limited.waitForStdout(/agent ready - version/, "the limited agent to listen", 15_000);
      const forward = await cluster.forward(pod, port);
      const refused = await MirrorSubscriber.connect(`${forward.host}:${forward.port}`, [TCP_PORT]).then(
        (unexpected) => {
          unexpected.close();
          return "subscribed";
        },
        (error: Error) => error.message,
      );
      expect(refused).toContain("cannot start mirroring: socket(AF_PACKET) failed: EPERM");
      expect(refused).toContain("needs CAP_NET_RAW");
    } finally {
      await limited.stop(1_000);
    }
  }, 60_000);
});
