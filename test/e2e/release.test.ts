/**
 * scripts/release end to end: every platform is either released (its binary, its own layer, a checksum,
 * a formula block) or reported missing with the reason, never silently half-built.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import packageJson from "../../package.json" with { type: "json" };
import type { ReleaseManifest } from "../../scripts/homebrew/formula.ts";
import { REPO_ROOT, run } from "../support/binary.ts";

const PLATFORMS = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64"] as const;
const FILE_SAYS: Record<(typeof PLATFORMS)[number], RegExp> = {
  "linux-x64": /ELF 64-bit LSB executable, x86-64/,
  "linux-arm64": /ELF 64-bit LSB executable, ARM aarch64/,
  "darwin-x64": /Mach-O 64-bit x86_64 executable/,
  "darwin-arm64": /Mach-O 64-bit arm64 executable/,
};
const BASE_URL = "https://downloads.example.test/mirrord/v1";
const out = mkdtempSync(join(tmpdir(), "mirrord-release-test-"));
let releaseRun: Awaited<ReturnType<typeof run>>;
let manifest: ReleaseManifest;

const hasCommand = (name: string) => Bun.which(name) !== null;

beforeAll(async () => {
  // A macOS compiler that always fails: the darwin platforms must then be reported, not released.
  releaseRun = await run(["scripts/release", "--out", out, "--url", BASE_URL], {
    cwd: REPO_ROOT,
    env: { ...(process.env as Record<string, string>), MIRRORD_DARWIN_CC: "false" },
    timeoutMs: 240_000,
  });
  manifest = JSON.parse(readFileSync(join(out, "release.json"), "utf8"));
}, 250_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("scripts/release", () => {
  test("releases each platform or names it as missing with the reason", () => {
    expect(releaseRun.stderr).toBe("");
    expect(releaseRun.code).toBe(0);
    expect(manifest.version).toBe(packageJson.version);
    expect(manifest.url).toBe(BASE_URL);
    expect([...manifest.released, ...Object.keys(manifest.missing)].sort()).toEqual([...PLATFORMS].sort());
    expect(manifest.released).toContain("linux-x64");
    if (hasCommand("aarch64-linux-gnu-gcc")) expect(manifest.released).toContain("linux-arm64");
    for (const platform of ["darwin-x64", "darwin-arm64"]) {
      expect(manifest.missing[platform]).toStartWith("layer build with 'false' failed");
      expect(releaseRun.stdout).toContain(`${platform}: layer build with 'false' failed`);
      expect(existsSync(join(out, `mirrord-${platform}`))).toBe(false);
    }
  });

  test("SHA256SUMS lists exactly the released binaries, with their real hashes", async () => {
    const lines = readFileSync(join(out, "SHA256SUMS"), "utf8").trim().split("\n");
    const files = readdirSync(out)
      .filter((name) => name.startsWith("mirrord-"))
      .sort();
    expect(files).toEqual(manifest.released.map((platform) => `mirrord-${platform}`).sort());
    const expected = files.map((file) => {
      const sha = new Bun.CryptoHasher("sha256").update(readFileSync(join(out, file))).digest("hex");
      return `${sha}  ${file}`;
    });
    expect(lines).toEqual(expected);
  });

  test("`file` shows each binary's platform", async () => {
    for (const platform of manifest.released) {
      const described = await run(["file", "-b", join(out, `mirrord-${platform}`)]);
      expect(described.stdout).toMatch(FILE_SAYS[platform]);
    }
  });

  test("each binary carries the layer built for its own platform", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "mirrord-release-layer-"));
    try {
      const extracted = await run([join(out, "mirrord-linux-x64"), "extract", scratch]);
      expect(extracted.code).toBe(0);
      expect((await run(["file", "-b", join(scratch, "libmirrord_layer.so")])).stdout).toMatch(
        /ELF 64-bit LSB shared object, x86-64/,
      );
      if (!manifest.released.includes("linux-arm64")) return;
      const info = JSON.parse(
        readFileSync(join(REPO_ROOT, "dist", "linux-arm64", "BUILD-INFO.json"), "utf8"),
      );
      const layerPath = join(REPO_ROOT, "layer", "build", "linux-arm64", "libmirrord_layer.so");
      expect(info.layer.sha256).toBe(
        new Bun.CryptoHasher("sha256").update(readFileSync(layerPath)).digest("hex"),
      );
      expect((await run(["file", "-b", layerPath])).stdout).toMatch(
        /ELF 64-bit LSB shared object, ARM aarch64/,
      );
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  test.skipIf(!hasCommand("qemu-aarch64"))(
    "the linux-arm64 binary runs (under qemu) and extracts an aarch64 layer",
    async () => {
      const scratch = mkdtempSync(join(tmpdir(), "mirrord-release-arm64-"));
      const arm64 = ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", join(out, "mirrord-linux-arm64")];
      try {
        expect(await run([...arm64, "--version"], { timeoutMs: 60_000 })).toMatchObject({
          code: 0,
          stdout: `mirrord ${packageJson.version}\n`,
        });
        expect((await run([...arm64, "extract", scratch], { timeoutMs: 60_000 })).code).toBe(0);
        expect((await run(["file", "-b", join(scratch, "libmirrord_layer.so")])).stdout).toMatch(
          /ARM aarch64/,
        );
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    },
    130_000,
  );

  test("the Homebrew formula points at each released binary with its checksum", async () => {
    const formula = readFileSync(join(out, "mirrord.rb"), "utf8");
    const sums = readFileSync(join(out, "SHA256SUMS"), "utf8").trim().split("\n");
    for (const line of sums) {
      const [sha, file] = line.split("  ");
      expect(formula).toContain(`url "${BASE_URL}/${file}"\n      sha256 "${sha}"`);
    }
    expect(formula).toContain("# darwin-arm64 is not in this release: layer build with 'false' failed");
    expect(formula).not.toContain("on_macos");
    expect(formula).toContain('shell_output("#{bin}/mirrord --version")');
    if (hasCommand("ruby")) {
      expect(await run(["ruby", "-c", join(out, "mirrord.rb")])).toMatchObject({
        code: 0,
        stdout: "Syntax OK\n",
      });
    }
  });
});
