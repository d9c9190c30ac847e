/**
 * Mirror end to end: a client in another namespace talks HTTP and raw TCP to the pod's IP; the pod's
 * apps answer as always, and a local program under `mirrord exec` (incoming mode mirror) receives an
 * identical copy of each connection, with accept()/getpeername() showing the client's address.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Pod, sampleApps, simulatorUnavailableReason } from "../simulator/index.ts";
import { type PodSession, startPodSession } from "../support/pod-session.ts";
import { type Recorder, startRecorder as startRecorderUnder } from "./mirror-recorder.ts";
import { CONCURRENT_SENDERS } from "./traffic-clients.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING mirror end-to-end tests: ${unavailable}`);
/** Ports unlikely to be taken on the laptop, where the local program really listens. */
const HTTP_PORT = 18581;
const RAW_PORT = 19581;

let session: PodSession;
let client: Pod;
let scratch: string;

beforeAll(async () => {
  if (unavailable) return;
  scratch = mkdtempSync(join(tmpdir(), "mirrord-mirror-test-"));
  writeFileSync(
    join(scratch, "mirror.json"),
    JSON.stringify({ feature: { network: { incoming: { mode: "mirror" } } } }),
  );
  session = await startPodSession("mirror-exec", {
    name: "api",
    env: { APP_MODE: "cluster" },
    app: [
      "sh",
      "-c",
      `${sampleApps.httpEcho(HTTP_PORT).join(" ")} & exec ${sampleApps.tcpEcho(RAW_PORT).join(" ")}`,
    ],
    ports: [HTTP_PORT, RAW_PORT],
  });
  client = await session.cluster.addClient("c1");
}, 60_000);

afterAll(async () => {
  await session?.destroy();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function startRecorder(ports: readonly number[]): Promise<Recorder> {
  return startRecorderUnder(session.agentAddress, join(scratch, "mirror.json"), ports);
}

describe.skipIf(unavailable !== undefined)("mirror", () => {
  test("a 10 MiB HTTP upload reaches the pod's app and, identical, the local program", async () => {
    const recorder = await startRecorder([HTTP_PORT]);
    try {
      const upload = await client.exec(
        [
          "sh",
          "-c",
          "head -c 7864320 /dev/urandom | base64 -w0 > /tmp/upload && sha256sum /tmp/upload | cut -d' ' -f1 && " +
            `curl -sS -o /tmp/answer -w '%{http_code} %{local_port}\\n' -H 'Expect:' --data-binary @/tmp/upload http://${session.pod.ip}:${HTTP_PORT}/upload && ` +
            "python3 -c \"import json; a = json.load(open('/tmp/answer')); print(a['mode'], len(a['body']))\"",
        ],
        { timeoutMs: 120_000 },
      );
      expect(upload.stderr).toBe("");
      const [uploadSha = "", status = "", localPort = "", answeredBy = "", answeredLength = ""] =
        upload.stdout.trim().split(/\s+/);
      expect([status, answeredBy, answeredLength]).toEqual(["200", "cluster", String(10 * 1024 * 1024)]);
      const copy = (await recorder.from([Number(localPort)], 60_000)).get(Number(localPort));
      expect(copy?.head.split("\r\n")).toEqual([
        "POST /upload HTTP/1.1",
        `Host: ${session.pod.ip}:${HTTP_PORT}`,
        expect.stringMatching(/^User-Agent: curl\//),
        "Accept: */*",
        "Content-Length: 10485760",
        "Content-Type: application/x-www-form-urlencoded",
      ]);
      expect(copy?.bodySha256).toBe(uploadSha);
      expect(copy?.bytes).toBe((copy?.head.length ?? 0) + 4 + 10 * 1024 * 1024);
      expect(copy?.peer).toEqual([client.ip, Number(localPort)]);
      expect(copy?.peername).toEqual([client.ip, Number(localPort)]);
    } finally {
      await recorder.stop();
    }
  }, 180_000);

  test("100 concurrent raw TCP connections are echoed by the pod and copied exactly to the local program", async () => {
    const recorder = await startRecorder([RAW_PORT]);
    try {
      const size = 100 * 1024;
      const run = await client.exec(
        ["python3", "-c", CONCURRENT_SENDERS, session.pod.ip, String(RAW_PORT), "100", String(size)],
        { timeoutMs: 120_000 },
      );
      expect(run.stderr).toBe("");
      const sent = JSON.parse(run.stdout) as { port: number; sha256: string; echoed: boolean }[];
      expect(sent.filter((connection) => !connection.echoed)).toEqual([]);
      const copies = await recorder.from(
        sent.map((connection) => connection.port),
        90_000,
      );
      const wrong = sent.filter((connection) => {
        const copy = copies.get(connection.port);
        return copy?.bytes !== size || copy.sha256 !== connection.sha256 || copy.peer[0] !== client.ip;
      });
      expect(wrong).toEqual([]);
    } finally {
      await recorder.stop();
    }
  }, 180_000);

  test("two mirrord exec runs mirroring the same port each get the copy", async () => {
    const first = await startRecorder([RAW_PORT]);
    const second = await startRecorder([RAW_PORT]);
    try {
      const run = await client.exec(
        ["python3", "-c", CONCURRENT_SENDERS, session.pod.ip, String(RAW_PORT), "3", "5000"],
        { timeoutMs: 60_000 },
      );
      const sent = JSON.parse(run.stdout) as { port: number; sha256: string; echoed: boolean }[];
      expect(sent.every((connection) => connection.echoed)).toBe(true);
      for (const recorder of [first, second]) {
        const copies = await recorder.from(
          sent.map((connection) => connection.port),
          30_000,
        );
        expect(sent.map((connection) => copies.get(connection.port)?.sha256)).toEqual(
          sent.map((connection) => connection.sha256),
        );
      }
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  }, 120_000);
});
