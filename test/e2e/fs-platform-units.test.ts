/**
 * pattern.c (caseless search, compile errors, fs.mapping replacement) and fs_platform.c (the file
 * layouts and translations) checked in isolation: layer/test/fs_platform_units.c compiled against those
 * two sources with the layer's own strict flags. The macOS halves compile in the macOS layer build
 * (release.test.ts); only a Mac runs them.
 */
import { expect, test } from "bun:test";
import { runLayerUnits } from "../support/layer-units.ts";

test("patterns, stat/statvfs/dirent filling and the Linux identity translations behave as documented", async () => {
  const result = await runLayerUnits("fs_platform_units", ["pattern.c", "fs_platform.c"], ["-lpcre2-8"]);
  expect(result.stdout).toMatch(/^checks=28 failed=0$/m);
  expect(result.code).toBe(0);
}, 60_000);
