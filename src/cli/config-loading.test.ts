import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../config/index.ts";
import { gitBranch, loadCliConfig } from "./config-loading.ts";

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mirrord-config-loading-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Loads `config` written as mirrord.json in the test directory, without the caller's environment. */
function load(config: unknown, env: Record<string, string> = {}) {
  writeFileSync(join(dir, "mirrord.json"), JSON.stringify(config));
  return loadCliConfig({ MIRRORD_CONFIG_FILE: "mirrord.json", ...env }, dir);
}

async function loadFailure(config: unknown): Promise<ConfigError> {
  try {
    await load(config);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(config)}`);
}

const incoming = (httpFilter: unknown) => ({
  feature: { network: { incoming: { http_filter: httpFilter } } },
});

describe("loadCliConfig: regexes are checked by fancy-regex when the config loads", () => {
  it("rejects a bad header_filter naming the field and fancy-regex's message", async () => {
    const error = await loadFailure(incoming({ header_filter: "(?<!" }));
    expect(error.message).toBe(
      "feature.network.incoming.http_filter.header_filter: invalid regex `(?<!`: Opening parenthesis without closing parenthesis",
    );
    expect(error.path).toBe("feature.network.incoming.http_filter.header_filter");
  });

  it("accepts a negative look-ahead path filter", async () => {
    const { config } = await load(incoming({ path_filter: "^(?!/health/)" }));
    expect(config.feature.network.incoming.http_filter.path_filter).toBe("^(?!/health/)");
  });

  it("accepts an atomic group, which JavaScript's RegExp rejects", async () => {
    const atomic = "^x-id: (?>a+)b";
    expect(() => new RegExp(atomic)).toThrow(SyntaxError);
    const { config } = await load(incoming({ header_filter: atomic }));
    expect(config.feature.network.incoming.http_filter.header_filter).toBe("^x-id: (?>a+)b");
  });

  it("rejects a variable-length look-behind, which JavaScript's RegExp accepts", async () => {
    expect(/(?<=a+)b/.test("aab")).toBe(true);
    const error = await loadFailure(incoming({ path_filter: "(?<=a+)b" }));
    expect(error.message).toBe(
      "feature.network.incoming.http_filter.path_filter: invalid regex `(?<=a+)b`: Look-behind assertion without constant size",
    );
  });

  it("compiles HTTP filters case-insensitively, as the agent does", async () => {
    const error = await loadFailure(incoming({ any_of: [{ path: "^/ok" }, { header: "[z-a]" }] }));
    expect(error.path).toBe("feature.network.incoming.http_filter.any_of[1].header");
    expect(error.message).toContain("(?i:[z-a])");
    expect(error.message).toContain("invalid character class range, the start must be <= the end");
  });

  it("checks all_of members and the deprecated http_header_filter", async () => {
    const allOf = await loadFailure(incoming({ all_of: [{ header: "(" }] }));
    expect(allOf.message).toBe(
      "feature.network.incoming.http_filter.all_of[0].header: invalid regex `(`: Opening parenthesis without closing parenthesis",
    );
    const deprecated = await loadFailure({
      feature: { network: { incoming: { http_header_filter: { filter: "(?<=a*)" } } } },
    });
    expect(deprecated.message).toBe(
      "feature.network.incoming.http_filter.header_filter: invalid regex `(?<=a*)`: Look-behind assertion without constant size",
    );
  });

  it("checks fs patterns and mapping keys case-sensitively", async () => {
    for (const field of ["read_write", "read_only", "local", "not_found"]) {
      const error = await loadFailure({ feature: { fs: { [field]: ["^/ok/.*", "[z-a]"] } } });
      expect(error.path).toBe(`feature.fs.${field}`);
      expect(error.message).toContain("invalid regex `[z-a]`: Regex error: regex parse error:\n    [z-a]\n");
    }
    const mapping = await loadFailure({ feature: { fs: { mapping: { "^/data/(.*": "/tmp/$1" } } } });
    expect(mapping.message).toBe(
      "feature.fs.mapping: invalid regex `^/data/(.*`: Opening parenthesis without closing parenthesis",
    );
  });

  it("checks feature.env.mapping keys", async () => {
    const error = await loadFailure({ feature: { env: { mapping: { "(?<=.*)_URL": "x" } } } });
    expect(error.message).toBe(
      "feature.env.mapping: invalid regex `(?<=.*)_URL`: Look-behind assertion without constant size",
    );
    const { config } = await load({ feature: { env: { mapping: { "^(?!HOME$).*_URL$": "x" } } } });
    expect(config.feature.env.mapping).toEqual({ "^(?!HOME$).*_URL$": "x" });
  });

  it("checks patterns that arrive from the environment", async () => {
    await expect(load({}, { MIRRORD_FILE_READ_WRITE_PATTERN: "^/ok;\\Z" })).rejects.toThrow(
      "feature.fs.read_write: invalid regex `\\Z`: Invalid escape: \\Z",
    );
  });
});

describe("loadCliConfig: files and templating", () => {
  it("resolves a relative config path against cwd and reports a missing file as a ConfigError", async () => {
    mkdirSync(join(dir, "nested"), { recursive: true });
    writeFileSync(join(dir, "nested", "m.toml"), 'target = "pod/from-toml"\n');
    const { config, configPath } = await loadCliConfig({ MIRRORD_CONFIG_FILE: "nested/m.toml" }, dir);
    expect(config.target.path).toBe("pod/from-toml");
    expect(configPath).toBe("nested/m.toml");
    await expect(loadCliConfig({ MIRRORD_CONFIG_FILE: "absent.json" }, dir)).rejects.toThrow(
      "absent.json: could not read the config file:",
    );
  });

  it("uses no file and all defaults when MIRRORD_CONFIG_FILE is unset", async () => {
    const { config, configPath } = await loadCliConfig({}, dir);
    expect(configPath).toBeUndefined();
    expect(config.feature.network.incoming.mode).toBe("mirror");
  });

  it("fills {{ git_branch }} from the repository cwd is in", async () => {
    const repo = join(dir, "repo");
    mkdirSync(repo, { recursive: true });
    const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, stdio: "ignore" });
    git("init", "-q", "-b", "feature/login");
    expect(await gitBranch(repo)).toBe("feature/login");
    writeFileSync(join(repo, "mirrord.json"), '{"key": "{{ git_branch }}"}');
    const { config } = await loadCliConfig({ MIRRORD_CONFIG_FILE: "mirrord.json" }, repo);
    expect(config.key).toBe("feature/login");
    const fromEnv = await loadCliConfig(
      { MIRRORD_CONFIG_FILE: "mirrord.json", MIRRORD_BRANCH_NAME: "release" },
      repo,
    );
    expect(fromEnv.config.key).toBe("release");
  });

  it("has no branch outside a repository, so the template variable is missing", async () => {
    const outside = mkdtempSync(join(tmpdir(), "mirrord-no-git-"));
    try {
      expect(await gitBranch(outside)).toBeUndefined();
      writeFileSync(join(outside, "mirrord.json"), '{"key": "{{ git_branch }}"}');
      await expect(loadCliConfig({ MIRRORD_CONFIG_FILE: "mirrord.json" }, outside)).rejects.toThrow(
        "git_branch",
      );
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
