/**
 * The local demo (`npm run demo` after set-up and build: `scripts/demo.ts`) runs end to end and prints,
 * for each feature, the line that proves it: plainly the laptop's world, under mirrord the pod's.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { simulatorUnavailableReason } from "../simulator/index.ts";
import { mirrordBinary, REPO_ROOT, run } from "../support/binary.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING the demo test: ${unavailable}`);

test.skipIf(unavailable !== undefined)(
  "the demo shows env, hostname, files, DNS, a cluster service, mirror, steal and filtered steal",
  async () => {
    mirrordBinary();
    const { code, stdout, stderr } = await run([process.execPath, join(REPO_ROOT, "scripts", "demo.ts")], {
      timeoutMs: 90_000,
    });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const [plain = "", underMirrord = ""] = stdout.split("== 7.");
    expect(plain).toContain("$APP_MODE                : (not set)");
    expect(plain).toContain("file /app/config.yaml     : cannot read (No such file or directory)");
    expect(plain).toMatch(/resolve orders: fails/);
    expect(plain).toMatch(/GET http:\/\/orders:8080\/api\/orders: fails/);
    for (const line of [
      "hostname                  : api-7f9c8d-x2k4q",
      "$APP_MODE                : cluster",
      "file /app/config.yaml     : replicas: 3 (the pod's copy)",
      "resolve orders: 10.244.2.2",
      "resolve orders.default.svc.cluster.local: 10.244.2.2",
      "GET http://orders:8080/api/orders: 200, answered by orders",
    ])
      expect(underMirrord).toContain(line);
    const section = (n: number) => underMirrord.split(`== ${n}.`)[1]?.split(`== ${n + 1}.`)[0] ?? "";
    expect(section(8)).toContain("[laptop program] received GET /checkout");
    expect(section(8)).not.toContain("answered by the laptop");
    expect(section(8)).toContain("GET /checkout -> answered by the pod (api-7f9c8d-x2k4q)");
    const stolen = section(9);
    expect(stolen.indexOf("GET /cart -> answered by the laptop")).toBeGreaterThan(-1);
    expect(stolen.indexOf("GET /cart -> answered by the pod")).toBeGreaterThan(
      stolen.indexOf("GET /cart -> answered by the laptop"),
    );
    expect(section(10)).toContain("GET /profile with x-user: me -> answered by the laptop");
    expect(section(10)).toContain("GET /profile with x-user: someone-else -> answered by the pod");
    expect(underMirrord.split("== 10.")[1]?.match(/received GET \/profile/g)).toHaveLength(1);
    expect(stdout).toContain("== 11. Cleaning up");
  },
  120_000,
);
