/**
 * Programs under `mirrord exec` resolve names the way the pod does (its cluster DNS, search domains,
 * hosts file) while the laptop cannot; the DNS filter and `--no-remote-dns` keep names local.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Service, sampleApps, simulatorUnavailableReason } from "../simulator/index.ts";
import { run } from "../support/binary.ts";
import { withLoopbackResolver } from "../support/hermetic-dns.ts";
import { type PodSession, startPodSession } from "../support/pod-session.ts";
import { compileProgram } from "../support/programs.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING remote DNS end-to-end tests: ${unavailable}`);

let session: PodSession;
let db: Service;
let bin: string;

beforeAll(async () => {
  if (unavailable) return;
  bin = mkdtempSync(join(tmpdir(), "mirrord-dns-test-"));
  await compileProgram("resolve", bin);
  session = await startPodSession("rdns", { name: "api", app: sampleApps.httpEcho(8080), ports: [8080] });
  db = await session.cluster.addService({ name: "db", port: 5432, app: sampleApps.tcpEcho(5432) });
}, 60_000);

afterAll(async () => {
  await session?.destroy();
  if (bin) rmSync(bin, { recursive: true, force: true });
});

describe.skipIf(unavailable !== undefined)("remote DNS under mirrord exec", () => {
  test("a C program's getaddrinfo and gethostbyname resolve cluster names; the laptop cannot", async () => {
    const plain = await run(withLoopbackResolver([join(bin, "resolve"), "db"]));
    expect(plain.stdout).toStartWith("db=error:");
    const result = await session.exec(["--", join(bin, "resolve"), "db", db.fqdn, "no-such-svc"], {
      loopbackResolver: true,
    });
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain(`db=${db.ip}:5432 canon=db.default.svc.cluster.local`);
    expect(result.stdout).toContain(`db.hostent=${db.ip}`);
    expect(result.stdout).toContain(`${db.fqdn}=${db.ip}:5432`);
    expect(result.stdout).toContain("no-such-svc=error:Name or service not known");
  });

  test("Python and Node resolve through the pod too", async () => {
    const python = await session.exec([
      "--",
      "python3",
      "-c",
      "import socket; print(sorted({a[4][0] for a in socket.getaddrinfo('db', 5432)}))",
    ]);
    expect(python.stdout.trim()).toBe(`['${db.ip}']`);
    const node = await session.exec([
      "--",
      "node",
      "-e",
      "require('dns').lookup('db', { family: 4 }, (e, a) => console.log(e ? e.code : a))",
    ]);
    expect(node.stdout.trim()).toBe(db.ip);
  });

  test("a local DNS filter, and --no-remote-dns, keep names on the laptop", async () => {
    const config = join(bin, "dns-local.json");
    writeFileSync(config, JSON.stringify({ feature: { network: { dns: { filter: { local: ["db"] } } } } }));
    const filtered = await session.exec(["-f", config, "--", join(bin, "resolve"), "db", db.fqdn], {
      loopbackResolver: true,
    });
    expect(filtered.stdout).toContain("db=error:");
    expect(filtered.stdout).toContain(`${db.fqdn}=${db.ip}:5432`);
    const off = await session.exec(["--no-remote-dns", "--", join(bin, "resolve"), "db"], {
      loopbackResolver: true,
    });
    expect(off.stdout).toStartWith("db=error:");
  });
});
