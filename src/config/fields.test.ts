/**
 * Table-driven check of every config field (fields.table.ts): default, each accepted form, each env
 * var (alone and over a file value), and one invalid value with its exact error. A schema field
 * without a row fails the coverage test, so a new field cannot slip in untested.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ENV_RULES, PREVIEW_ENV_RULES } from "./env-overrides.ts";
import { ConfigError } from "./errors.ts";
import { FIELD_ROWS } from "./fields.table.ts";
import { configJsonSchema } from "./json-schema.ts";
import { fileFor, loadText, valueAt } from "./test-support.ts";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

async function errorOf(file: string | undefined, env: Record<string, string> = {}): Promise<string> {
  try {
    await loadText(file, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.message;
  }
  throw new Error(`expected ${file} with ${JSON.stringify(env)} to be rejected`);
}

describe("every config field", () => {
  for (const row of FIELD_ROWS) {
    describe(row.path, () => {
      it("has its documented default", async () => {
        const { config } = await loadText(fileFor(row) ?? "{}");
        assert.deepEqual(valueAt(config, row.path), row.default);
      });

      it("accepts every documented form", async () => {
        for (const form of row.forms) {
          const { config } = await loadText(fileFor(row, form));
          assert.deepEqual(
            valueAt(config, row.path),
            form.resolved,
            `written as ${JSON.stringify(form.write)}`,
          );
        }
      });

      for (const env of row.env) {
        it(`is set by ${env.name}=${env.value}, which ${env.fileWins ? "yields to" : "beats"} the file`, async () => {
          const alone = await loadText(fileFor(row), { [env.name]: env.value });
          assert.deepEqual(valueAt(alone.config, row.path), env.resolved);
          const [first] = row.forms;
          assert.ok(first, "a row needs at least one form");
          const withFile = await loadText(fileFor(row, first), { [env.name]: env.value });
          assert.deepEqual(valueAt(withFile.config, row.path), env.fileWins ? first.resolved : env.resolved);
        });
      }

      const { envInvalid } = row;
      if (envInvalid !== undefined) {
        it(`rejects ${envInvalid.name}=${envInvalid.value} with its exact error`, async () => {
          assert.equal(
            await errorOf(fileFor(row), { [envInvalid.name]: envInvalid.value }),
            envInvalid.error,
          );
        });
      }

      it(`rejects ${JSON.stringify(row.invalid.write)} with its exact error`, async () => {
        assert.equal(await errorOf(fileFor(row, row.invalid)), row.invalid.error);
      });
    });
  }
});

/**
 * Dotted paths of the config's fields, read from the generated JSON Schema: a property whose value
 * has exactly one object form is a section (walked into; listed too when it also has a bool/string
 * shorthand); anything else (scalars, lists, maps, unions of object shapes) is one field.
 */
function schemaFields(): string[] {
  const schema = configJsonSchema() as Json;
  const defs = (schema.$defs ?? {}) as Record<string, Json>;
  const resolve = (node: Json): Json => {
    const ref = node.$ref;
    if (typeof ref !== "string") return node;
    const target = defs[ref.replace("#/$defs/", "")];
    assert.ok(target, `unresolved ${ref}`);
    return resolve(target);
  };
  const out: string[] = [];
  const walk = (raw: Json, path: string) => {
    const node = resolve(raw);
    const forms = (Array.isArray(node.anyOf) ? (node.anyOf as Json[]).map(resolve) : [node]).filter(
      (form) => form.type !== "null",
    );
    const objects = forms.filter((form) => isObject(form.properties));
    const [section] = objects;
    if (objects.length !== 1 || section === undefined) {
      out.push(path);
      return;
    }
    if (forms.length > 1 && path !== "") out.push(path);
    for (const [key, child] of Object.entries(section.properties as Record<string, Json>)) {
      walk(child, path === "" ? key : `${path}.${key}`);
    }
  };
  walk(schema, "");
  return out;
}

describe("the field table", () => {
  const rowPaths = FIELD_ROWS.map((row) => row.path);
  const fields = schemaFields();

  it("has a row for every field of the schema", () => {
    const covered = (field: string) =>
      rowPaths.includes(field) ||
      FIELD_ROWS.some((row) => row.coversSubfields && field.startsWith(`${row.path}.`));
    assert.deepEqual(
      fields.filter((field) => !covered(field)),
      [],
    );
    assert.ok(fields.length > 130, `only ${fields.length} fields found: the schema walk is broken`);
  });

  it("has no row for a field the schema does not have, and no field twice", () => {
    const inSchema = (path: string) =>
      fields.includes(path) || fields.some((field) => field.startsWith(`${path}.`));
    assert.deepEqual(
      rowPaths.filter((path) => !inSchema(path)),
      [],
    );
    assert.deepEqual(
      rowPaths.filter((path, index) => rowPaths.indexOf(path) !== index),
      [],
    );
  });

  it("covers every env var that sets a field", () => {
    const tested = new Set(FIELD_ROWS.flatMap((row) => row.env.map((env) => env.name)));
    const special = [
      "MIRRORD_FILE_MODE",
      "MIRRORD_FILE_OPS",
      "MIRRORD_FILE_RO_OPS",
      "MIRRORD_FILE_READ_ONLY_PATTERN",
      "MIRRORD_AGENT_IMAGE_REGISTRY",
      "MIRRORD_AGENT_IMAGE_TAG",
    ];
    const all = [...ENV_RULES, ...PREVIEW_ENV_RULES].map((rule) => rule.env).concat(special);
    assert.deepEqual(
      all.filter((name) => !tested.has(name)),
      [],
    );
  });
});
