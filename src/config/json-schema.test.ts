/**
 * `mirrord schema`: a valid JSON Schema (draft-07, checked by Ajv against the meta-schema) that agrees
 * with the engine: it accepts every form of the field table and the docs' examples, rejects what the
 * engine rejects for its shape, and carries the engine's defaults because it is generated from it.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import Ajv from "ajv";
import { parse as parseJsonc } from "jsonc-parser";
import { FIELD_ROWS } from "./fields.table.ts";
import { configJsonSchema } from "./json-schema.ts";
import { fileFor, loadText } from "./test-support.ts";

const schema = configJsonSchema();
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);

function accepts(config: unknown): boolean {
  return validate(config) === true;
}

describe("the config JSON Schema", () => {
  it("is a valid draft-07 schema that forbids unknown fields at the root", () => {
    assert.equal(schema.$schema, "http://json-schema.org/draft-07/schema#");
    assert.equal(ajv.validateSchema(schema), true, ajv.errorsText(ajv.errors));
    assert.equal(schema.additionalProperties, false);
    assert.equal(accepts({}), true);
    assert.equal(accepts({ targte: "pod/x" }), false);
  });

  it("accepts every accepted form of every field", () => {
    for (const row of FIELD_ROWS) {
      for (const form of row.forms) {
        const file = JSON.parse(fileFor(row, form) ?? "{}");
        assert.equal(
          accepts(file),
          true,
          `${row.path} = ${JSON.stringify(form.write)}: ${ajv.errorsText(validate.errors)}`,
        );
      }
    }
  });

  it("rejects a bad enum value, a wrong type and a number out of range", () => {
    assert.equal(accepts({ feature: { fs: { mode: "wrte" } } }), false);
    assert.equal(accepts({ feature: { network: { incoming: "stael" } } }), false);
    assert.equal(accepts({ agent: { disabled_capabilities: ["SYS_ADMN"] } }), false);
    assert.equal(accepts({ feature: { env: "on" } }), false);
    assert.equal(accepts({ agent: { ttl: 70_000 } }), false);
    assert.equal(accepts({ agent: { image: { registry: "r", tga: "1" } } }), false);
  });

  it("carries the engine's defaults and descriptions (it is generated from the same schema)", async () => {
    const { config } = await loadText("{}");
    const agent = (
      schema.properties as Record<string, { properties?: Record<string, { default?: unknown }> }>
    ).agent;
    assert.equal(agent?.properties?.startup_timeout?.default, config.agent.startup_timeout);
    assert.equal(agent?.properties?.image?.default, config.agent.image);
    assert.match(JSON.stringify(schema), /"description":"Seconds to wait for the agent to become ready\."/);
  });
});

describe("the docs' examples against the JSON Schema", () => {
  const fixtures = new URL("../../test/fixtures/config/", import.meta.url);
  const manifest = JSON.parse(readFileSync(new URL("manifest.json", fixtures), "utf8")) as Record<
    string,
    { section: string; error?: string }
  >;
  const embed = (text: string, section: string) =>
    section
      .split(".")
      .filter((key) => key !== "")
      .reduceRight((inner, key) => `{"${key}": ${inner}}`, text);

  it("accepts every example that loads without templating or deprecation warnings", async () => {
    let checked = 0;
    for (const [name, { section, error }] of Object.entries(manifest)) {
      const text = embed(readFileSync(new URL(name, fixtures), "utf8"), section);
      if (error !== undefined || text.includes("{{")) continue;
      const { warnings } = await loadText(text);
      if (warnings.some((warning) => warning.includes("deprecated"))) continue;
      const raw = parseJsonc(text, [], { allowTrailingComma: true });
      assert.equal(accepts(raw), true, `${name}: ${ajv.errorsText(validate.errors)}`);
      checked++;
    }
    assert.ok(checked > 50, `only ${checked} examples checked`);
  });
});
