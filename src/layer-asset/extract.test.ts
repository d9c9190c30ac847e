import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { extractToCache, extractToDirectory } from "./extract.ts";
import { sha256Hex } from "./layer-file.ts";

const root = mkdtempSync(join(tmpdir(), "mirrord-extract-test-"));
after(() => rmSync(root, { recursive: true, force: true }));

const layerBytes = new Uint8Array(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 251));

describe("extractToCache", () => {
  it("writes the bytes under a path that contains their hash, then reuses the verified copy", async () => {
    const cache = join(root, "reuse");
    const first = await extractToCache(layerBytes, "libmirrord_layer.so", cache);
    assert.equal(first.written, true);
    assert.equal(first.sha256, sha256Hex(layerBytes));
    assert.ok(first.path.includes(first.sha256.slice(0, 32)));
    assert.deepEqual(new Uint8Array(readFileSync(first.path)), layerBytes);
    const second = await extractToCache(layerBytes, "libmirrord_layer.so", cache);
    assert.equal(second.written, false);
    assert.equal(second.path, first.path);
  });

  it("replaces a corrupted or truncated copy instead of using it", async () => {
    const cache = join(root, "corrupt");
    const { path } = await extractToCache(layerBytes, "libmirrord_layer.so", cache);
    writeFileSync(path, layerBytes.subarray(0, 100));
    const again = await extractToCache(layerBytes, "libmirrord_layer.so", cache);
    assert.equal(again.written, true);
    assert.deepEqual(new Uint8Array(readFileSync(path)), layerBytes);
  });

  it("gives every one of many concurrent extractions a complete file and leaves no temp files", async () => {
    const cache = join(root, "concurrent");
    const results = await Promise.all(
      Array.from({ length: 24 }, () => extractToCache(layerBytes, "libmirrord_layer.so", cache)),
    );
    const paths = new Set(results.map((r) => r.path));
    assert.equal(paths.size, 1);
    const [path] = paths;
    assert.deepEqual(new Uint8Array(readFileSync(path as string)), layerBytes);
    const dir = join(path as string, "..");
    assert.deepEqual(readdirSync(dir), ["libmirrord_layer.so"]);
  });
});

describe("extractToDirectory", () => {
  it("writes <dir>/<fileName> byte for byte, creating the directory", async () => {
    const dir = join(root, "out", "nested");
    const result = await extractToDirectory(layerBytes, "libmirrord_layer.so", dir);
    assert.equal(result.path, join(dir, "libmirrord_layer.so"));
    assert.deepEqual(new Uint8Array(readFileSync(result.path)), layerBytes);
  });
});
