import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { composeRemoteEnv, envRequestOf } from "./compose.ts";

const regexMatch = (pattern: string, name: string) => new RegExp(pattern).test(name);

describe("envRequestOf", () => {
  it("asks for everything when neither include nor exclude is given", () => {
    assert.deepEqual(envRequestOf({}), { include: ["*"], exclude: [] });
  });
  it("passes include or exclude through", () => {
    assert.deepEqual(envRequestOf({ include: ["DB_*", "PORT"] }), { include: ["DB_*", "PORT"], exclude: [] });
    assert.deepEqual(envRequestOf({ exclude: ["AWS_*"] }), { include: ["*"], exclude: ["AWS_*"] });
  });
});

describe("composeRemoteEnv", () => {
  it("applies env_file over the fetched values, then mapping, then override", () => {
    const env = composeRemoteEnv({
      fetched: { DB_URL: "postgres://pod", LOG_LEVEL: "info", REGION: "eu" },
      envFile: { LOG_LEVEL: "debug", FROM_FILE: "1" },
      feature: { mapping: { "^DB_": "postgres://localhost" }, override: { REGION: "local", NEW: "x" } },
      nameMatches: regexMatch,
    });
    assert.deepEqual(env, {
      DB_URL: "postgres://localhost",
      LOG_LEVEL: "debug",
      REGION: "local",
      FROM_FILE: "1",
      NEW: "x",
    });
  });

  it("never adds variables through mapping, and the first matching rule wins", () => {
    const env = composeRemoteEnv({
      fetched: { A_TOKEN: "t" },
      envFile: {},
      feature: { mapping: { TOKEN: "first", "A_.*": "second", MISSING: "never" } },
      nameMatches: regexMatch,
    });
    assert.deepEqual(env, { A_TOKEN: "first" });
  });
});
