/**
 * The file probe scripts/verify-macos runs on a Mac (layer/macos/verify/fs_probe.c), run here under
 * `mirrord exec` in write mode against a simulated pod: it creates, reads, stats, lists and renames
 * files in a pod directory through the layer and checks the pod's errno values. Keeps the Mac check
 * honest (its probe and expectations cannot rot unseen), and the pod-only seed file and the file it
 * leaves behind (in the pod, not on the laptop) prove the calls went through mirrord.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sampleApps, simulatorUnavailableReason } from "../simulator/index.ts";
import { REPO_ROOT } from "../support/binary.ts";
import { type PodSession, startPodSession } from "../support/pod-session.ts";
import { compileC } from "../support/programs.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING the macOS file probe end-to-end test: ${unavailable}`);
/** Only the pod has it (not on a default-local list): the probe's fs.read_write pattern sends it there. */
const POD_DIR = "/srv/mirrord-macos-fs-probe";
const SEED = "seeded in the pod";

let session: PodSession;
let dir: string;

beforeAll(async () => {
  if (unavailable) return;
  dir = mkdtempSync(join(tmpdir(), "mirrord-fs-probe-"));
  await compileC(join(REPO_ROOT, "layer", "macos", "verify", "fs_probe.c"), join(dir, "fs_probe"), [
    "-std=gnu11",
    "-Wall",
    "-Wextra",
    "-Werror",
  ]);
  rmSync(POD_DIR, { recursive: true, force: true });
  session = await startPodSession("macfs", {
    name: "api",
    hostname: "api-macfs-pod",
    files: { [`${POD_DIR}/seed.txt`]: SEED },
    app: sampleApps.httpEcho(8080),
    ports: [8080],
  });
}, 90_000);

afterAll(async () => {
  await session?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test.skipIf(Boolean(unavailable))(
  "under mirrord exec every check of the macOS file probe passes, in the pod's directory only",
  async () => {
    const config = join(dir, "mirrord.json");
    // The same configuration as verify-macos: write mode, the probe's directory matched by read_write.
    writeFileSync(
      config,
      JSON.stringify({ feature: { fs: { mode: "write", read_write: [`^${POD_DIR}(/|$)`] } } }),
    );
    const result = await session.exec(["-f", config, "--", join(dir, "fs_probe"), POD_DIR, SEED]);
    const lines = result.stdout.trim().split("\n");
    expect(lines.filter((line) => !line.startsWith("ok "))).toEqual([]);
    expect(lines.length).toBe(25);
    expect(result.code).toBe(0);
    const podRoot = `/proc/${session.pod.appPid}/root`;
    expect(readFileSync(`${podRoot}${POD_DIR}/kept.txt`, "utf8")).toBe("written through the pod\n");
    expect(existsSync(`${podRoot}${POD_DIR}/probe.txt`)).toBe(false);
    expect(existsSync(POD_DIR)).toBe(false);
  },
  90_000,
);
