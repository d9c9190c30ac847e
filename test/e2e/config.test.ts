/** `mirrord verify-config` and `mirrord schema` as an IDE or a user runs them: the built executable. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mirrordBinary, run } from "../support/binary.ts";

const scratch = mkdtempSync(join(tmpdir(), "mirrord-config-e2e-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** No MIRRORD_* from the developer's shell may leak into what is being verified. */
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: scratch };

function writeConfig(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

async function verifyConfig(...args: string[]) {
  const result = await run([mirrordBinary(), "verify-config", ...args], { env, cwd: scratch });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

describe("mirrord verify-config", () => {
  test("prints a Success report and exits 0 for a good file", async () => {
    const path = writeConfig(
      "good.json",
      JSON.stringify({ target: { path: "deployment/api", namespace: "prod" }, feature: { fs: "write" } }),
    );
    expect(await verifyConfig(path)).toEqual({
      type: "Success",
      config: { path: { deployment: "api", container: null }, namespace: "prod" },
      warnings: [],
      compatible_target_types: [
        "targetless",
        "pod",
        "deployment",
        "rollout",
        "job",
        "cronjob",
        "statefulset",
        "service",
        "replicaset",
      ],
    });
  });

  test("prints a Fail report and still exits 0 for a bad file", async () => {
    const path = writeConfig("bad.toml", '[feature.network.incoming]\nmode = "stael"\n');
    expect(await verifyConfig(path)).toEqual({
      type: "Fail",
      errors: [
        'Failed to verify mirrord config: feature.network.incoming.mode: expected "mirror" | "steal" | "off", got "stael" (did you mean "steal"?)',
      ],
    });
  });

  test("rejects a bad HTTP filter regex with fancy-regex's message", async () => {
    const path = writeConfig(
      "regex.yaml",
      "feature:\n  network:\n    incoming:\n      mode: steal\n      http_filter:\n        header_filter: '(?<=a+)b'\n",
    );
    expect(await verifyConfig(path, "--ide")).toEqual({
      type: "Fail",
      errors: [
        "Failed to verify mirrord config: feature.network.incoming.http_filter.header_filter: invalid regex `(?<=a+)b`: Look-behind assertion without constant size",
      ],
    });
  });

  test("--ide leaves an absent target open; --resolved adds the resolved config", async () => {
    const path = writeConfig("steal.json", '{"feature": {"network": {"incoming": "steal"}}}');
    expect((await verifyConfig(path)).type).toBe("Fail");
    const report = await verifyConfig("--ide", "--resolved", path);
    expect(report.type).toBe("Success");
    const resolved = report.resolved_config as {
      feature: { network: { incoming: { mode: string } } };
      key: unknown;
    };
    expect(resolved.feature.network.incoming.mode).toBe("steal");
    expect(typeof resolved.key).toBe("string");
  });

  test("reads the config from stdin with -", async () => {
    const child = Bun.spawn([mirrordBinary(), "verify-config", "-"], {
      env,
      cwd: scratch,
      stdin: new TextEncoder().encode('{"target": "pod/from-stdin"}'),
      stdout: "pipe",
      stderr: "pipe",
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const [stdout, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).config).toEqual({
      path: { pod: "from-stdin", container: null },
      namespace: null,
    });
  });

  test("without a path is a usage error", async () => {
    const result = await run([mirrordBinary(), "verify-config"], { env, cwd: scratch });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("<path>");
  });
});

describe("mirrord schema", () => {
  test("prints the JSON Schema of the config file", async () => {
    const result = await run([mirrordBinary(), "schema"], { env, cwd: scratch });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    const schema = JSON.parse(result.stdout);
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(["target", "agent", "feature", "internal_proxy", "connect_tcp"]),
    );
  });

  test("--help describes the commands", async () => {
    for (const command of ["schema", "verify-config"]) {
      const result = await run([mirrordBinary(), command, "--help"], { env, cwd: scratch });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`$ mirrord ${command}`);
    }
    const verify = await run([mirrordBinary(), "verify-config", "--help"], { env, cwd: scratch });
    expect(verify.stdout).toContain("Always exits 0");
    expect(verify.stdout).toContain("--resolved");
  });
});
