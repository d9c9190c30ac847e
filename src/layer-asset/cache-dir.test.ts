import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { cacheDirCandidates, writableCacheDir } from "./cache-dir.ts";

const root = mkdtempSync(join(tmpdir(), "mirrord-cachedir-test-"));
after(() => rmSync(root, { recursive: true, force: true }));

describe("cacheDirCandidates", () => {
  it("prefers XDG_CACHE_HOME, then ~/.cache, then the temp dir", () => {
    assert.deepEqual(
      cacheDirCandidates({ env: { XDG_CACHE_HOME: "/x", HOME: "/h" }, tempDir: "/t", uid: 7 }),
      ["/x/mirrord", "/h/.cache/mirrord", "/t/mirrord-7"],
    );
  });

  it("ignores relative or empty locations, as the XDG spec says", () => {
    assert.deepEqual(
      cacheDirCandidates({ env: { XDG_CACHE_HOME: "rel", HOME: "" }, tempDir: "/t", uid: 0 }),
      ["/t/mirrord-0"],
    );
  });
});

describe("writableCacheDir", () => {
  it("falls back to the temp dir when home cannot be written", () => {
    const dir = writableCacheDir({ env: { HOME: "/proc/self" }, tempDir: root, uid: 42 });
    assert.equal(dir, join(root, "mirrord-42"));
    assert.ok(existsSync(dir));
  });

  it("names every place it tried when nothing is writable", () => {
    assert.throws(
      () => writableCacheDir({ env: { HOME: "/proc/self" }, tempDir: "/proc/self", uid: 1 }),
      /no writable cache directory.*\/proc\/self\/\.cache\/mirrord.*\/proc\/self\/mirrord-1/,
    );
  });
});
