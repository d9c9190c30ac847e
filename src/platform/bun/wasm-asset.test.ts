import { afterAll, describe, expect, it } from "bun:test";
import { mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FancyRegexEngine } from "../../filters/regex.ts";
import { loadFancyRegexWasm } from "./wasm-asset.ts";

const scratch = mkdtempSync(join(tmpdir(), "wasm-asset-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("loadFancyRegexWasm", () => {
  it("loads a module the engine accepts when running from source", async () => {
    const engine = FancyRegexEngine.fromBytes(await loadFancyRegexWasm());
    const filter = engine.compile("^(?!/health/)");
    expect(filter.test("/api")).toBe(true);
    expect(filter.test("/health/live")).toBe(false);
    filter.free();
  });

  it("is embedded by bun build --compile: the moved executable still matches", async () => {
    const buildDir = join(scratch, "build");
    const runDir = join(scratch, "elsewhere");
    const entry = join(buildDir, "probe.ts");
    await Bun.write(
      entry,
      `import { loadFancyRegexWasm } from ${JSON.stringify(join(import.meta.dir, "wasm-asset.ts"))};
import { FancyRegexEngine } from ${JSON.stringify(join(import.meta.dir, "../../filters/regex.ts"))};
const engine = FancyRegexEngine.fromBytes(await loadFancyRegexWasm());
const filter = engine.compile("^User-Agent: (?!kube-probe)", { caseInsensitive: true });
console.log(JSON.stringify({
  curl: filter.test("user-agent: curl/8"),
  probe: filter.test("user-agent: kube-probe/1.29"),
  embedded: Bun.embeddedFiles.map((file) => (file as Blob & { name: string }).name),
}));
`,
    );
    const build = Bun.spawnSync(
      [process.execPath, "build", "--compile", entry, "--outfile", join(buildDir, "probe")],
      {
        stderr: "pipe",
        stdout: "pipe",
      },
    );
    expect(build.stderr.toString()).toBe("");
    expect(build.exitCode).toBe(0);

    mkdirSync(runDir);
    renameSync(join(buildDir, "probe"), join(runDir, "probe"));
    rmSync(buildDir, { recursive: true });
    const run = Bun.spawnSync([join(runDir, "probe")], { cwd: runDir, stderr: "pipe", stdout: "pipe" });
    expect(run.stderr.toString()).toBe("");
    const report = JSON.parse(run.stdout.toString()) as { curl: boolean; probe: boolean; embedded: string[] };
    expect(report.curl).toBe(true);
    expect(report.probe).toBe(false);
    expect(report.embedded.some((name) => name.startsWith("fancy_regex") && name.endsWith(".wasm"))).toBe(
      true,
    );
  }, 120_000);
});
