/**
 * The rest of remote DNS under `mirrord exec`: gethostbyname_r and getnameinfo answer with the pod's
 * view (cluster DNS, its hosts file) while the laptop cannot, in glibc's shapes (ERANGE for a small
 * buffer, the numeric form when there is no name unless NI_NAMEREQD).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Service, sampleApps, simulatorUnavailableReason } from "../simulator/index.ts";
import { run } from "../support/binary.ts";
import { withLoopbackResolver } from "../support/hermetic-dns.ts";
import { type PodSession, startPodSession } from "../support/pod-session.ts";
import { compileProgram } from "../support/programs.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING outgoing DNS end-to-end tests: ${unavailable}`);

const POD_HOSTNAME = "api-5c4f";
let session: PodSession;
let web: Service;
let bin: string;
let program: string;

beforeAll(async () => {
  if (unavailable) return;
  bin = mkdtempSync(join(tmpdir(), "mirrord-outdns-test-"));
  program = await compileProgram("net_out_dns", bin);
  session = await startPodSession("outd", {
    name: "api",
    hostname: POD_HOSTNAME,
    app: sampleApps.httpEcho(8080),
    ports: [8080],
  });
  web = await session.cluster.addService({ name: "web", port: 9090, app: sampleApps.httpEcho(9090) });
}, 60_000);

afterAll(async () => {
  await session?.destroy();
  if (bin) rmSync(bin, { recursive: true, force: true });
});

describe.skipIf(unavailable !== undefined)("gethostbyname_r and getnameinfo under mirrord exec", () => {
  test("gethostbyname_r resolves a short cluster name in the pod; the laptop cannot", async () => {
    const laptop = await run(withLoopbackResolver([program, "byname_r", "web"]));
    expect(laptop.stdout).toContain("byname_r=error:");
    const result = await session.exec(["--", program, "byname_r", "web"], { loopbackResolver: true });
    expect(result.stdout).toContain(`byname_r=web ${web.ip}\n`);
    expect(result.stdout).toContain("byname_r_small=ERANGE");
    const missing = await session.exec(["--", program, "byname_r", "no-such-svc"], {
      loopbackResolver: true,
    });
    expect(missing.stdout).toContain("byname_r=error:rc=0,h_errno=1");
  });

  /** The name the pod itself gets for `ip` (glibc inside the pod, its resolv.conf and hosts file). */
  async function podName(ip: string): Promise<string> {
    const answer = await session.pod.exec(["getent", "hosts", ip]);
    const name = answer.stdout.trim().split(/\s+/)[1];
    if (!name) throw new Error(`the pod has no name for ${ip}: ${answer.stdout}${answer.stderr}`);
    return name;
  }

  test("getnameinfo names cluster addresses the way the pod does, the service locally", async () => {
    const webName = await podName(web.ip);
    expect(webName).toEndWith(".cluster.local");
    const service = await session.exec(["--", program, "nameinfo", web.ip], { loopbackResolver: true });
    expect(service.stdout).toContain(`nameinfo=${webName} http`);
    const own = await session.exec(["--", program, "nameinfo", session.pod.ip], { loopbackResolver: true });
    expect(own.stdout).toContain(`nameinfo=${POD_HOSTNAME} http`);
    const unnamed = await session.exec(["--", program, "nameinfo", "10.244.9.9"], { loopbackResolver: true });
    expect(unnamed.stdout).toContain("nameinfo=10.244.9.9 http");
    // No name in the pod: an error (the cluster DNS refuses that reverse zone: EAI_AGAIN), never the number.
    expect(unnamed.stdout).toMatch(
      /^nameinfo_required=(Name or service not known|Temporary failure in name resolution)$/m,
    );
  });

  test("Python's socket.getnameinfo goes through the pod too", async () => {
    const result = await session.exec(
      ["--", "python3", "-c", `import socket; print(socket.getnameinfo(("${web.ip}", 80), 0))`],
      {
        loopbackResolver: true,
      },
    );
    expect(result.stdout.trim()).toBe(`('${await podName(web.ip)}', 'http')`);
  });
});
