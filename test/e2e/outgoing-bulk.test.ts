/**
 * Bulk outgoing traffic under `mirrord exec`: tens of MiB each way through one connection to a pod-side
 * echo, sent and read at once, arrive whole and in order. Relayed chunks are large here (the runtime
 * reads up to 512 KiB at a time), which is where the agent and intproxy hand memory back early and
 * decode frames in place.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Service, sampleApps, simulatorUnavailableReason } from "../simulator/index.ts";
import { type PodSession, startPodSession } from "../support/pod-session.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING outgoing bulk end-to-end tests: ${unavailable}`);

const MIB = 48;

/** Sends MIB MiB of a counting pattern from one thread while reading the echo in another. */
const BULK_ECHO_CLIENT = `
import hashlib, socket, sys, threading
host, port, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
block = bytes(i % 251 for i in range(1 << 20))
s = socket.create_connection((host, port), timeout=60)
sent = hashlib.sha256()
def send():
    for i in range(mib):
        chunk = block[i % 7:] + block[:i % 7]
        sent.update(chunk); s.sendall(chunk)
    s.shutdown(socket.SHUT_WR)
sender = threading.Thread(target=send); sender.start()
got, count = hashlib.sha256(), 0
while True:
    data = s.recv(1 << 20)
    if not data: break
    got.update(data); count += len(data)
sender.join()
print("bytes=%d same=%s" % (count, got.digest() == sent.digest()))
`;

let session: PodSession;
let echo: Service;

beforeAll(async () => {
  if (unavailable) return;
  session = await startPodSession("bulk", { name: "api", app: sampleApps.httpEcho(8080), ports: [8080] });
  echo = await session.cluster.addService({ name: "echo", port: 7000, app: sampleApps.tcpEcho(7000) });
}, 90_000);

afterAll(async () => {
  await session?.destroy();
});

describe.skipIf(unavailable !== undefined)("bulk outgoing traffic under mirrord exec", () => {
  test(`${MIB} MiB sent to a pod-side echo while reading it back arrive whole and in order`, async () => {
    const result = await session.exec(
      ["--", "python3", "-c", BULK_ECHO_CLIENT, echo.ip, "7000", String(MIB)],
      {
        timeoutMs: 240_000,
      },
    );
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe(`bytes=${MIB << 20} same=True`);
  }, 300_000);
});
