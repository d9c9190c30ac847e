import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { linkKindOf } from "./elf.ts";

const root = mkdtempSync(join(tmpdir(), "mirrord-elf-test-"));
after(() => rmSync(root, { recursive: true, force: true }));

describe("linkKindOf", () => {
  it("recognises a dynamically linked system binary", () => {
    assert.equal(linkKindOf("/bin/sh"), "dynamic");
  });
  it("recognises scripts and non-ELF files", () => {
    writeFileSync(join(root, "script"), "#!/bin/sh\necho hi\n");
    writeFileSync(join(root, "data"), "hello");
    assert.equal(linkKindOf(join(root, "script")), "script");
    assert.equal(linkKindOf(join(root, "data")), "other");
  });
  it("recognises a statically linked binary when one is installed", (t) => {
    const candidates = ["/bin/busybox", "/usr/bin/busybox"];
    const busybox = candidates.find((path) => {
      try {
        return linkKindOf(path) !== "other";
      } catch {
        return false;
      }
    });
    if (!busybox) return t.skip("busybox-static is not installed");
    assert.equal(linkKindOf(busybox), "static");
  });
});
