import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import {
  CS_ADHOC,
  CS_REQUIRE_LV,
  CS_RESTRICT,
  CS_RUNTIME,
  MachOError,
  parseMachO,
  relabelArm64eAsArm64,
} from "./macho.ts";
import { fatMachO, thinMachO } from "./synthetic-macho.ts";

const ALLOW_DYLD = "com.apple.security.cs.allow-dyld-environment-variables";
const DISABLE_LV = "com.apple.security.cs.disable-library-validation";

function parsed(bytes: Uint8Array) {
  const file = parseMachO(bytes, "test.bin");
  if (!file) throw new Error("not recognised as Mach-O");
  return file;
}

describe("parseMachO", () => {
  test("reads the CPU of thin x86_64, arm64 and arm64e files", () => {
    for (const arch of ["x86_64", "arm64", "arm64e"] as const) {
      expect(parsed(thinMachO({ arch })).slices.map((slice) => slice.arch)).toEqual([arch]);
    }
  });

  test("reads every slice of 32- and 64-bit fat tables", () => {
    for (const wide of [false, true]) {
      const file = parsed(fatMachO([{ arch: "x86_64" }, { arch: "arm64e", restrictSegment: true }], wide));
      expect(file.fat).toBe(true);
      expect(file.slices.map((slice) => [slice.arch, slice.offset, slice.restrictSegment])).toEqual([
        ["x86_64", 4096, false],
        ["arm64e", 8192, true],
      ]);
    }
  });

  test("reads CodeDirectory flags and the DYLD-related entitlements", () => {
    const file = parsed(
      thinMachO({ arch: "arm64", signature: { flags: CS_RUNTIME, entitlements: [ALLOW_DYLD] } }),
    );
    expect(file.slices[0]?.signature).toEqual({
      flags: CS_RUNTIME,
      hardenedRuntime: true,
      restricted: false,
      libraryValidation: true,
      allowsDyldEnvironment: true,
      disablesLibraryValidation: false,
    });
    const restricted = parsed(
      thinMachO({ arch: "x86_64", signature: { flags: CS_RESTRICT | CS_REQUIRE_LV } }),
    );
    expect(restricted.slices[0]?.signature).toMatchObject({
      restricted: true,
      hardenedRuntime: false,
      libraryValidation: true,
    });
    const lenient = parsed(
      thinMachO({ arch: "arm64", signature: { flags: CS_RUNTIME, entitlements: [DISABLE_LV] } }),
    );
    expect(lenient.slices[0]?.signature).toMatchObject({
      allowsDyldEnvironment: false,
      disablesLibraryValidation: true,
    });
    expect(parsed(thinMachO({ arch: "arm64" })).slices[0]?.signature).toBeUndefined();
  });

  test("agrees with file(1) about what the synthetic files are", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mirrord-macho-"));
    try {
      const fat = join(dir, "fat");
      writeFileSync(fat, fatMachO([{ arch: "x86_64" }, { arch: "arm64" }]));
      const thin = join(dir, "thin");
      writeFileSync(thin, thinMachO({ arch: "arm64", signature: { flags: CS_ADHOC } }));
      const described = Bun.spawnSync(["file", "-b", fat, thin]).stdout.toString();
      expect(described).toContain("Mach-O universal binary with 2 architectures: [x86_64");
      expect(described).toContain("Mach-O 64-bit arm64 executable");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("is not fooled by scripts, ELF files or Java class files", () => {
    expect(parseMachO(new TextEncoder().encode("#!/bin/sh\necho hi\n"), "script")).toBeUndefined();
    expect(parseMachO(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), "elf")).toBeUndefined();
    const javaClass = new Uint8Array([0xca, 0xfe, 0xba, 0xbe, 0x00, 0x00, 0x00, 0x41]);
    expect(() => parseMachO(javaClass, "Main.class")).toThrow("Main.class: fat header claims 65 slices");
  });

  test("a truncated file is an error naming the file and the offset, never a crash", () => {
    const whole = thinMachO({ arch: "arm64", signature: { flags: CS_RUNTIME } });
    const cut = whole.slice(0, 40);
    expect(() => parseMachO(cut, "/usr/bin/cut-short")).toThrow(MachOError);
    expect(() => parseMachO(cut, "/usr/bin/cut-short")).toThrow(
      /^\/usr\/bin\/cut-short: truncated Mach-O: .* at byte \d+/,
    );
    const fat = fatMachO([{ arch: "x86_64" }]);
    expect(() => parseMachO(fat.slice(0, 4100), "fat")).toThrow("fat: fat slice 0 (4096+");
  });
});

describe("relabelArm64eAsArm64", () => {
  test("rewrites arm64e slices to arm64 in the slice header and the fat table, leaving others alone", () => {
    const original = fatMachO([{ arch: "x86_64" }, { arch: "arm64e" }]);
    const file = parsed(original);
    const relabelled = relabelArm64eAsArm64(original, file);
    expect(parsed(relabelled).slices.map((slice) => slice.arch)).toEqual(["x86_64", "arm64"]);
    expect(parsed(original).slices.map((slice) => slice.arch)).toEqual(["x86_64", "arm64e"]);
    const changed = [...relabelled.keys()].filter((index) => relabelled[index] !== original[index]);
    expect(changed.length).toBeLessThanOrEqual(8);
  });

  test("thin arm64e becomes arm64", () => {
    const original = thinMachO({ arch: "arm64e" });
    expect(parsed(relabelArm64eAsArm64(original, parsed(original))).slices[0]?.arch).toBe("arm64");
  });
});

// Bun's own macOS builds (downloaded by `scripts/build --target darwin-*`) are real Apple-signed files.
const bunForMac = join(homedir(), ".bun", "install", "cache", "bun-darwin-aarch64-v1.4.5");
test.skipIf(!existsSync(bunForMac))("reads a real Developer ID signed macOS executable (Bun's)", () => {
  const [slice] = parsed(readFileSync(bunForMac)).slices;
  expect(slice?.arch).toBe("arm64");
  expect(slice?.signature).toMatchObject({
    hardenedRuntime: true,
    allowsDyldEnvironment: true,
    disablesLibraryValidation: true,
  });
});
