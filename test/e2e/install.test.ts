/**
 * scripts/install.sh as a user runs it: over HTTP from a release directory served on loopback (or a
 * file:// path for an air-gapped machine), with the real `dist/mirrord` as the linux-x64 build.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import packageJson from "../../package.json" with { type: "json" };
import { mirrordBinary, REPO_ROOT, run } from "../support/binary.ts";

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const scratch = mkdtempSync(join(tmpdir(), "mirrord-install-test-"));
const installer = join(scratch, "install.sh");
let server: ReturnType<typeof Bun.serve>;
let binarySha = "";
let tamperedBytes: Uint8Array;

/** Release directories by name: file name → body. */
function releases(): Record<string, Record<string, () => Blob | Uint8Array | string>> {
  const sums = `${binarySha}  mirrord-linux-x64\n`;
  return {
    full: { SHA256SUMS: () => sums, "mirrord-linux-x64": () => Bun.file(mirrordBinary()) },
    tampered: { SHA256SUMS: () => sums, "mirrord-linux-x64": () => tamperedBytes },
    partial: { SHA256SUMS: () => `${"ab".repeat(32)}  mirrord-linux-arm64\n` },
  };
}

beforeAll(async () => {
  chmodSync(scratch, 0o755);
  copyFileSync(join(REPO_ROOT, "scripts", "install.sh"), installer);
  const bytes = new Uint8Array(await Bun.file(mirrordBinary()).arrayBuffer());
  binarySha = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
  tamperedBytes = bytes.slice();
  const middle = Math.floor(tamperedBytes.length / 2);
  tamperedBytes[middle] = (tamperedBytes[middle] ?? 0) ^ 0xff;
  const served = releases();
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const [, dir = "", file = ""] = new URL(request.url).pathname.split("/");
      const body = served[dir]?.[file];
      return body ? new Response(body()) : new Response("not found", { status: 404 });
    },
  });
});

afterAll(() => {
  server?.stop(true);
  rmSync(scratch, { recursive: true, force: true });
});

/** A home directory owned by the user the installer runs as. */
function freshHome(name: string, writable = true): string {
  const home = join(scratch, name);
  mkdirSync(home, { mode: 0o755 });
  if (isRoot && writable) chownSync(home, NOBODY, NOBODY);
  return home;
}

/** Fake commands placed first on PATH (uname, sysctl, ldd, sudo …) to stand for another machine. */
function fakeBin(name: string, scripts: Record<string, string>): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { mode: 0o755 });
  for (const [command, body] of Object.entries(scripts)) {
    writeFileSync(join(dir, command), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
  return dir;
}

/** Runs the installer as an unprivileged user (nobody when the tests run as root). */
async function install(
  release: string,
  home: string,
  extra: { env?: Record<string, string>; path?: string } = {},
) {
  const unprivileged = isRoot ? ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups"] : [];
  const url = release.includes("://") ? release : `http://127.0.0.1:${server.port}/${release}`;
  return run([...unprivileged, "sh", installer], {
    env: {
      PATH: extra.path ?? "/usr/bin:/bin",
      HOME: home,
      TMPDIR: home,
      MIRRORD_RELEASE_URL: url,
      ...extra.env,
    },
    cwd: scratch,
    timeoutMs: 60_000,
  });
}

describe("install.sh", () => {
  test.skipIf(!isRoot)(
    "installs the verified binary into ~/.local/bin for a user who cannot write /usr/local/bin",
    async () => {
      const home = freshHome("home-normal");
      const result = await install("full", home);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const installed = join(home, ".local", "bin", "mirrord");
      expect(result.stdout).toContain(`installed mirrord ${packageJson.version} at ${installed}`);
      expect(result.stdout).toContain(`${join(home, ".local", "bin")} is not on your PATH`);
      expect(result.stdout).toContain("next: mirrord exec");
      const sha = new Bun.CryptoHasher("sha256")
        .update(await Bun.file(installed).arrayBuffer())
        .digest("hex");
      expect(sha).toBe(binarySha);
      expect(await run([installed, "--version"])).toMatchObject({
        code: 0,
        stdout: `mirrord ${packageJson.version}\n`,
      });
    },
  );

  test("installs from a file:// release directory into MIRRORD_INSTALL_DIR (air-gapped machine)", async () => {
    const releaseDir = join(scratch, "air-gapped-release");
    mkdirSync(releaseDir, { mode: 0o755 });
    copyFileSync(mirrordBinary(), join(releaseDir, "mirrord-linux-x64"));
    writeFileSync(join(releaseDir, "SHA256SUMS"), `${binarySha} *mirrord-linux-x64\n`);
    const home = freshHome("home-air-gapped");
    const target = join(home, "tools");
    const result = await install(`file://${releaseDir}`, home, { env: { MIRRORD_INSTALL_DIR: target } });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`installed mirrord ${packageJson.version} at ${target}/mirrord`);
    expect(readdirSync(target)).toEqual(["mirrord"]);
  });

  test("refuses a binary whose checksum does not match SHA256SUMS and installs nothing", async () => {
    const home = freshHome("home-tampered");
    const result = await install("tampered", home);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`checksum mismatch for mirrord-linux-x64: SHA256SUMS says ${binarySha}`);
    expect(result.stderr).toContain("refusing to install it");
    expect(existsSync(join(home, ".local", "bin", "mirrord"))).toBe(false);
    expect(readdirSync(home).filter((name) => name.startsWith("mirrord-install."))).toEqual([]);
  });

  test("says clearly when the release has no build for this machine, and lists what it has", async () => {
    const result = await install("partial", freshHome("home-partial"));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("has no build for this machine (linux-x64); it has: linux-arm64");
  });

  test("picks the native arm64 build under Rosetta on a Mac", async () => {
    const bin = fakeBin("bin-rosetta", {
      uname: 'case "$1" in -s) echo Darwin ;; -m) echo x86_64 ;; esac',
      sysctl: '[ "$2" = sysctl.proc_translated ] && echo 1',
    });
    const result = await install("full", freshHome("home-rosetta"), { path: `${bin}:/usr/bin:/bin` });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Rosetta detected: installing the native Apple silicon (arm64) build");
    expect(result.stderr).toContain("has no build for this machine (darwin-arm64); it has: linux-x64");
  });

  test("asks for the musl build on a musl-based Linux", async () => {
    const bin = fakeBin("bin-musl", { ldd: 'echo "musl libc (x86_64)" >&2; exit 1' });
    const result = await install("full", freshHome("home-musl"), { path: `${bin}:/usr/bin:/bin` });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("has no build for this machine (linux-x64-musl)");
  });

  test.skipIf(!isRoot)("stops without sudo when no bin directory is writable", async () => {
    const sudoLog = join(scratch, "sudo-called");
    const bin = fakeBin("bin-sudo", { sudo: `touch ${sudoLog}; exit 1` });
    chmodSync(scratch, 0o777);
    try {
      const result = await install("full", freshHome("home-readonly", false), {
        path: `${bin}:/usr/bin:/bin`,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("no writable bin directory: /usr/local/bin needs root");
      expect(result.stderr).toContain("MIRRORD_INSTALL_DIR");
    } finally {
      chmodSync(scratch, 0o755);
    }
    expect(existsSync(sudoLog)).toBe(false);
  });
});
