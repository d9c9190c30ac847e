import { describe, expect, it } from "bun:test";
import { spawnSync } from "node:child_process";
import { compileCTest, STRICT_CFLAGS, vectorFiles } from "./support.ts";

const vectors = vectorFiles();

describe("C codec", () => {
  it("compiles standalone with the layer's strict flags", () => {
    expect(() => compileCTest("protocol_vectors", ["mp_dump.c"], STRICT_CFLAGS)).not.toThrow();
  });

  it("decodes every vector to its JSON and re-encodes it to the identical bytes", () => {
    const exe = compileCTest("protocol_vectors", ["mp_dump.c"], STRICT_CFLAGS);
    const run = spawnSync(
      exe,
      vectors.map((v) => v.binPath),
      { encoding: "utf8", timeout: 30_000 },
    );
    const lines = run.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.length).toBe(vectors.length);
    lines.forEach((line, i) => {
      const v = vectors[i];
      expect({ file: line.file, status: line.status, reencoded: line.reencoded }).toEqual({
        file: v?.binPath,
        status: "ok",
        reencoded: true,
      });
      expect(line.frame).toEqual(v?.json);
    });
    expect(run.status).toBe(0);
  });
});
