/**
 * Mirror through the layer: programs under `mirrord exec` (default incoming mode) get a copy of the
 * requests a client in another namespace sends to the pod, while the pod's app still answers them; two
 * concurrent runs listening on the same port each get their own copy.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Pod, sampleApps, simulatorUnavailableReason } from "../simulator/index.ts";
import { type PodSession, startPodSession } from "../support/pod-session.ts";
import { startLocal } from "./steal-harness.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING incoming mirror tests: ${unavailable}`);
const PORT = 18773;

let session: PodSession;
let client: Pod;
let scratch: string;

beforeAll(async () => {
  if (unavailable) return;
  scratch = mkdtempSync(join(tmpdir(), "mirrord-mirror-test-"));
  session = await startPodSession("in-mirror", {
    name: "api",
    env: { APP_MODE: "cluster" },
    app: sampleApps.httpEcho(PORT),
    ports: [PORT],
  });
  client = await session.cluster.addClient("c1");
}, 60_000);

afterAll(async () => {
  await session?.destroy();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Waits (bounded) until `output()` matches `pattern`. */
async function eventually(output: () => string, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 15_000;
  while (!pattern.test(output()) && Date.now() < deadline) await Bun.sleep(50);
  return output();
}

describe.skipIf(unavailable !== undefined)("incoming mirror through mirrord exec", () => {
  test("two concurrent runs on the same port each get a copy while the pod's app answers", async () => {
    const first = await startLocal(session.agentAddress, scratch, { mode: "mirror" }, ["http", String(PORT)]);
    const second = await startLocal(session.agentAddress, scratch, { mode: "mirror" }, [
      "http",
      String(PORT),
    ]);
    try {
      const answer = await client.exec([
        "curl",
        "-sS",
        "--max-time",
        "10",
        "-d",
        "mirror-me",
        `http://${session.pod.ip}:${PORT}/copied`,
      ]);
      expect(JSON.parse(answer.stdout)).toMatchObject({
        mode: "cluster",
        path: "/copied",
        body: "mirror-me",
      });
      for (const run of [first, second])
        expect(await eventually(run.output, /request POST \/copied 9/)).toMatch(/request POST \/copied 9/);
    } finally {
      await first.stop();
      await second.stop();
    }
  }, 60_000);
});
