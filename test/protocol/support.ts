/** Shared helpers of the protocol tests: the vector files and compiling the C test programs. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const repoRoot = join(import.meta.dir, "../..");
export const vectorDir = join(repoRoot, "test/vectors/protocol");

export interface VectorFile {
  readonly name: string;
  readonly binPath: string;
  readonly bin: Uint8Array;
  readonly json: unknown;
}

export function vectorFiles(): VectorFile[] {
  return readdirSync(vectorDir)
    .filter((f) => f.endsWith(".bin"))
    .sort()
    .map((f) => {
      const name = f.slice(0, -4);
      const binPath = join(vectorDir, f);
      return {
        name,
        binPath,
        bin: new Uint8Array(readFileSync(binPath)),
        json: JSON.parse(readFileSync(join(vectorDir, `${name}.json`), "utf8")),
      };
    });
}

/** The flags the layer is built with; the generated codec must compile cleanly under them. */
export const STRICT_CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-fPIC"];

const buildDir = mkdtempSync(join(tmpdir(), "mirrord-protocol-test-"));
const built = new Set<string>();

/** Compiles the C codec plus one test program from layer/test; returns the executable's path. */
export function compileCTest(program: string, extraSources: string[], flags: string[]): string {
  const out = join(buildDir, `${program}-${flags.join("").replace(/[^a-z0-9]/gi, "")}`);
  if (built.has(out)) return out;
  const layer = join(repoRoot, "layer");
  const args = [
    ...flags,
    `-I${join(layer, "src/protocol")}`,
    `-I${join(layer, "test")}`,
    join(layer, "src/protocol/mp_protocol.c"),
    ...extraSources.map((s) => join(layer, "test", s)),
    join(layer, "test", `${program}.c`),
    "-o",
    out,
  ];
  const run = spawnSync("gcc", args, { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`gcc ${args.join(" ")} failed:\n${run.stderr}`);
  built.add(out);
  return out;
}
