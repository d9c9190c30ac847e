/**
 * Every JSON example of the user's docs (test/fixtures/config/v{1,2,3}, copied verbatim) either
 * loads and keeps the defaults for everything it leaves out, or fails with the documented reason.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parse as parseJsonc } from "jsonc-parser";
import { ConfigError } from "./errors.ts";
import { loadError, loadText } from "./test-support.ts";

const FIXTURES = new URL("../../test/fixtures/config/", import.meta.url);

interface Expectation {
  section: string;
  error?: string;
  fix?: string;
  line?: number;
  column?: number;
  path?: string;
}

const manifest = JSON.parse(readFileSync(new URL("manifest.json", FIXTURES), "utf8")) as Record<
  string,
  Expectation
>;

/** Places a section-level example where it belongs, on the same lines as in the docs. */
function embed(text: string, section: string): string {
  return section
    .split(".")
    .filter((key) => key !== "")
    .reduceRight((inner, key) => `{"${key}": ${inner}}`, text);
}

/** Dotted paths of every leaf, for comparing against the defaults. */
function leaves(value: unknown, prefix = ""): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) {
      for (const [path, leaf] of leaves(child, prefix === "" ? key : `${prefix}.${key}`)) out.set(path, leaf);
    }
  } else out.set(prefix, value);
  return out;
}

/** Field paths the example writes (a shorthand like `"network": true` counts for the whole section). */
function written(raw: unknown, prefix = ""): string[] {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return [prefix];
  return Object.entries(raw).flatMap(([key, child]) =>
    written(child, prefix === "" ? key : `${prefix}.${key}`),
  );
}

/**
 * Fields whose documented value depends on another field: outgoing-filter host names reach the DNS
 * filter, magic.aws feeds env.unset and fs.mapping, and a copy_target object defaults `enabled` to true.
 */
const DERIVED = [
  "feature.network.dns.filter",
  "feature.env.unset",
  "feature.fs.mapping",
  "feature.copy_target.enabled",
];

describe("seed documentation examples", () => {
  const defaults = loadText("{}");
  for (const [name, expected] of Object.entries(manifest)) {
    it(`${name} ${expected.error === undefined ? "loads with defaults for the rest" : "fails with the documented reason"}`, async () => {
      const text = embed(readFileSync(new URL(name, FIXTURES), "utf8"), expected.section);
      if (expected.error !== undefined) {
        const error = await loadError(text, { TARGET: "pod/from-env" });
        assert.ok(error instanceof ConfigError);
        assert.ok(error.message.includes(expected.error), error.message);
        if (expected.fix) assert.ok(error.message.includes(expected.fix), error.message);
        assert.equal(error.line, expected.line);
        assert.equal(error.column, expected.column);
        if (expected.path) assert.equal(error.path, expected.path);
        return;
      }
      const { config } = await loadText(text);
      const touched = written(parseJsonc(text, [], { allowTrailingComma: true }));
      const base = leaves((await defaults).config);
      for (const [path, value] of leaves(config)) {
        const isWritten = touched.some(
          (t) => path === t || path.startsWith(`${t}.`) || t.startsWith(`${path}.`),
        );
        if (isWritten || DERIVED.some((d) => path.startsWith(d)) || !base.has(path)) continue;
        assert.deepEqual(value, base.get(path), `${path} should keep its default`);
      }
    });
  }

  it("renders the templating example from the environment and falls back to its default", async () => {
    const text = readFileSync(new URL("v3/01-basic-config.json-with-templating.json", FIXTURES), "utf8");
    assert.equal((await loadText(text, { TARGET: "deployment/api" })).config.target.path, "deployment/api");
    assert.equal((await loadText(text)).config.target.path, "pod/fallback");
  });

  it("maps the complete example's deprecated fields to today's meaning with warnings", async () => {
    const text = readFileSync(new URL("v3/02-complete-config.json.json", FIXTURES), "utf8").replace(
      '"exclude": "DATABASE_PASSWORD;SECRET_ENV",',
      "",
    );
    const { config, warnings } = await loadText(text);
    assert.deepEqual(config.agent.image_pull_secrets, [{ name: "secret" }]);
    assert.equal(config.connect_tcp, undefined);
    assert.ok(warnings.some((w) => w.includes("agent.network_interface")));
    assert.ok(warnings.some((w) => w.includes("image_pull_secrets")));
    assert.deepEqual(config.feature.env.include, ["DATABASE_USER", "PUBLIC_ENV"]);
    assert.equal(config.feature.network.incoming.http_filter.header_filter, "host: api\\..+");
  });
});
