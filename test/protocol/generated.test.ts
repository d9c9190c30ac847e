import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { generatedFiles } from "../../scripts/gen-protocol.ts";
import { repoRoot } from "./support.ts";

describe("generated protocol files", () => {
  for (const [path, expected] of Object.entries(generatedFiles())) {
    it(`${path} matches the catalogue (run: bun scripts/gen-protocol.ts)`, () => {
      expect(readFileSync(join(repoRoot, path), "utf8")).toBe(expected);
    });
  }
});
