/**
 * pattern.c (caseless search, compile errors, fs.mapping replacement) and fs_platform.c (the file
 * layouts and translations) checked in isolation: layer/test/fs_platform_units.c compiled against those
 * two sources with the layer's own strict flags. The macOS halves compile in the macOS layer build
 * (release.test.ts); only a Mac runs them.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../support/binary.ts";

const LAYER = join(import.meta.dir, "..", "..", "layer");

test("patterns, stat/statvfs/dirent filling and the Linux identity translations behave as documented", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mirrord-fs-platform-units-"));
  try {
    const exe = join(dir, "fs_platform_units");
    const built = await run([
      "gcc",
      "-std=gnu11",
      "-D_GNU_SOURCE",
      "-Wall",
      "-Wextra",
      "-Werror",
      "-O1",
      `-I${join(LAYER, "src")}`,
      join(LAYER, "src", "pattern.c"),
      join(LAYER, "src", "fs_platform.c"),
      join(LAYER, "test", "fs_platform_units.c"),
      "-lpcre2-8",
      "-o",
      exe,
    ]);
    expect(built.stderr).toBe("");
    const result = await run([exe]);
    expect(result.stdout).toMatch(/^checks=28 failed=0$/m);
    expect(result.code).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
