import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BinaryNotFoundError, resolveBinary } from "./resolve-binary.ts";

const root = mkdtempSync(join(tmpdir(), "mirrord-resolve-test-"));
after(() => rmSync(root, { recursive: true, force: true }));
for (const dir of ["a", "b"]) mkdirSync(join(root, dir));
writeFileSync(join(root, "a", "tool"), "not executable");
writeFileSync(join(root, "b", "tool"), "#!/bin/sh\n");
chmodSync(join(root, "b", "tool"), 0o755);
mkdirSync(join(root, "a", "dir-named-tool2"));

describe("resolveBinary", () => {
  it("takes the first executable match on PATH, skipping non-executable files", () => {
    assert.equal(resolveBinary("tool", { PATH: `${root}/a:${root}/b` }, "/"), join(root, "b", "tool"));
  });

  it("resolves names with a slash against the working directory", () => {
    assert.equal(resolveBinary("./b/tool", {}, root), join(root, "b", "tool"));
  });

  it("says what was searched when nothing matches", () => {
    assert.throws(
      () => resolveBinary("nope", { PATH: `${root}/a` }, "/"),
      (error: Error) =>
        error instanceof BinaryNotFoundError && error.message.includes(`not found in PATH (${root}/a)`),
    );
    assert.throws(() => resolveBinary("./a/tool", {}, root), /is not executable/);
    assert.throws(() => resolveBinary("./a/dir-named-tool2", {}, root), /is not a file/);
  });
});
