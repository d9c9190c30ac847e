/**
 * `mirrord exec` through Kubernetes survives dropped port-forward streams: the intproxy's relay resumes
 * its stream to the agent on a new WebSocket, so an open outgoing connection and an open remote file go
 * on byte for byte. When the agent is really gone, the run ends with one clear error.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_AGENT_IMAGE } from "../../src/config/agent.ts";
import { type KubeApi, startKubeApi } from "../kube-api/index.ts";
import {
  Cluster,
  type Pod,
  type Service,
  sampleApps,
  simulatorUnavailableReason,
} from "../simulator/index.ts";
import { mirrordBinary } from "../support/binary.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING port-forward resume end-to-end tests: ${unavailable}`);
const POD_NAME = "api-resume-6f7d";
const BLOB_PATH = "/srv/mirrord-resume/blob.bin";
/** 3 MiB of varied bytes the program reads through one open fd, a third per step. */
const BLOB = Buffer.from(Array.from({ length: 3 * 1024 * 1024 }, (_, i) => (i * 131 + (i >> 11)) & 0xff));
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

let cluster: Cluster;
let kube: KubeApi;
let echo: Service;
let bin: string;

beforeAll(async () => {
  if (unavailable) return;
  bin = mkdtempSync(join(tmpdir(), "mirrord-resume-test-"));
  copyFileSync(join(import.meta.dir, "programs", "resume_probe.py"), join(bin, "resume_probe.py"));
  cluster = await Cluster.create({ name: "resume" });
  kube = await startKubeApi({ cluster, mirrord: mirrordBinary(), images: [DEFAULT_AGENT_IMAGE] });
  const pod: Pod = await cluster.addPod({
    name: "api",
    hostname: POD_NAME,
    app: sampleApps.httpEcho(8080),
    ports: [8080],
    files: { [BLOB_PATH]: BLOB },
  });
  kube.addPod(pod, { name: POD_NAME, labels: { app: "api" }, containers: [{ name: "app" }] });
  echo = await cluster.addService({ name: "echo", port: 7000, app: sampleApps.tcpEcho(7000) });
}, 60_000);

afterAll(async () => {
  await kube?.stop();
  await cluster?.destroy();
  if (bin) rmSync(bin, { recursive: true, force: true });
});

/** `mirrord exec … resume_probe.py` with its stdin held open, so the test paces the program. */
function startProbe() {
  const config = join(bin, `config-${Math.random().toString(36).slice(2)}.json`);
  // Generous timeouts: the agent keeps a dropped session for communication_timeout on a loaded machine.
  writeFileSync(
    config,
    JSON.stringify({ agent: { communication_timeout: 8, startup_timeout: 30 }, feature: { fs: "read" } }),
  );
  const child = Bun.spawn(
    [
      mirrordBinary(),
      "exec",
      "-f",
      config,
      "-t",
      `pod/${POD_NAME}`,
      "--",
      "python3",
      join(bin, "resume_probe.py"),
      echo.ip,
      String(echo.port),
      BLOB_PATH,
    ],
    {
      env: {
        ...(process.env as Record<string, string>),
        KUBECONFIG: kube.kubeconfigPath,
        MIRRORD_PROGRESS_MODE: "off",
      },
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const output = { stdout: "", stderr: "" };
  const pump = async (name: "stdout" | "stderr", stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) output[name] += decoder.decode(chunk, { stream: true });
  };
  const pumped = Promise.all([pump("stdout", child.stdout), pump("stderr", child.stderr)]);
  const killer = setTimeout(() => child.kill("SIGKILL"), 110_000);
  return {
    child,
    output,
    /** Waits (bounded) until `stream` has shown `text` `times` times; throws with both streams if not. */
    async waitFor(name: "stdout" | "stderr", text: string, times = 1): Promise<void> {
      for (let i = 0; i < 600; i++) {
        if (output[name].split(text).length - 1 >= times) return;
        if (child.exitCode !== null) break;
        await Bun.sleep(100);
      }
      throw new Error(
        `no ${times}× "${text}" on ${name}; stdout: ${output.stdout}\nstderr: ${output.stderr}`,
      );
    },
    go(): void {
      child.stdin.write("go\n");
      child.stdin.flush();
    },
    async exit(): Promise<number> {
      const code = await child.exited;
      clearTimeout(killer);
      await pumped;
      return code;
    },
  };
}

async function expectNoAgentLeft(): Promise<void> {
  const agentPods = () => kube.list("pods").filter((p) => p.metadata.labels?.app === "mirrord");
  for (let i = 0; i < 400 && (kube.list("jobs").length > 0 || agentPods().length > 0); i++)
    await Bun.sleep(100);
  expect(kube.list("jobs")).toEqual([]);
  expect(agentPods()).toEqual([]);
}

describe.skipIf(unavailable !== undefined)("mirrord exec across dropped port-forward streams", () => {
  test("an open outgoing connection and an open remote file survive two drops, every byte checked", async () => {
    const probe = startProbe();
    try {
      await probe.waitFor("stdout", "connected");
      // Drop 1: while the session is idle.
      expect(kube.server.dropPortForwards()).toBeGreaterThan(0);
      await probe.waitFor("stderr", "reconnected to the agent", 1);
      probe.go();
      await probe.waitFor("stdout", "step 1");
      probe.go();
      // Drop 2: while 16 MiB are on their way to the echo service and back.
      await probe.waitFor("stdout", "streaming");
      expect(kube.server.dropPortForwards()).toBeGreaterThan(0);
      await probe.waitFor("stderr", "reconnected to the agent", 2);
      await probe.waitFor("stdout", "step 2");
      probe.go();
      const code = await probe.exit();
      expect({ code, stdout: probe.output.stdout, stderr: probe.output.stderr }).toMatchObject({
        code: 0,
        stdout: expect.stringContaining(`file-sha256 ${sha256(BLOB)}\n`),
      });
      expect(probe.output.stdout).toContain(`echoed ${256 * 1024 + 16 * 1024 * 1024 + 64 * 1024}\ndone`);
      expect(probe.output.stderr.match(/the port-forward to the agent dropped/g)?.length).toBe(2);
      expect(probe.output.stderr).not.toContain("could not reconnect");
    } finally {
      probe.child.kill("SIGKILL");
      await probe.exit();
    }
    await expectNoAgentLeft();
  }, 120_000);

  test("when the agent is really gone, the run ends with one clear error", async () => {
    const probe = startProbe();
    try {
      await probe.waitFor("stdout", "connected");
      const [job] = kube.list("jobs", "default");
      kube.remove("jobs", job?.metadata.name as string);
      for (const agent of kube.list("pods", "default").filter((p) => p.metadata.labels?.app === "mirrord"))
        kube.remove("pods", agent.metadata.name);
      kube.server.dropPortForwards();
      await probe.waitFor("stderr", "could not reconnect");
      probe.go();
      const code = await probe.exit();
      expect(code).not.toBe(0);
      expect(probe.output.stderr).toMatch(
        /mirrord: lost the connection to the agent and could not reconnect: port-forward to default\/mirrord-agent-\S+: the agent pod no longer exists/,
      );
      expect(probe.output.stderr.match(/could not reconnect/g)?.length).toBe(1);
      expect(probe.output.stdout).not.toContain("step 1");
    } finally {
      probe.child.kill("SIGKILL");
      await probe.exit();
    }
  }, 120_000);
});
