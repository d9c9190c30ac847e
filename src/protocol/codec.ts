/**
 * Schema-driven encoding and decoding of field values. The catalogue is interpreted at run time, so
 * adding a message never touches this file.
 *
 * TS shape of values: u8/u16/u32/i32 → number, u64/i64 → bigint, bool → boolean, bytes/fixed →
 * Uint8Array, string → string, optional → value or null, list → array, enum → its value name,
 * struct → object, union → `{ kind: variantName, ...fields }`.
 */
import { ProtocolError } from "./errors.ts";
import { minWireSize, namedType } from "./registry.ts";
import type { EnumDef, Field, FieldType, UnionDef } from "./schema.ts";
import type { Reader, Writer } from "./wire.ts";

/** Deepest nesting of named types a frame may carry (bounds recursion through HttpFilter trees). */
export const MAX_NESTING_DEPTH = 32;

export type Value =
  | number
  | bigint
  | boolean
  | string
  | Uint8Array
  | null
  | readonly Value[]
  | { readonly [key: string]: Value };

type FieldValues = { readonly [key: string]: Value };

const utf8Encoder = new TextEncoder();
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const INT_RANGES = {
  u8: [0, 0xff],
  u16: [0, 0xffff],
  u32: [0, 0xffffffff],
  i32: [-0x80000000, 0x7fffffff],
} as const;
const BIGINT_RANGES = {
  u64: [0n, 0xffffffffffffffffn],
  i64: [-0x8000000000000000n, 0x7fffffffffffffffn],
} as const;

export function decodeFields(r: Reader, fields: readonly Field[], depth: number): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const field of fields) {
    r.path.push(field.name);
    out[field.name] = decodeValue(r, field.type, depth);
    r.path.pop();
  }
  return out;
}

function decodeValue(r: Reader, type: FieldType, depth: number): Value {
  switch (type.kind) {
    case "u8":
      return r.u8();
    case "u16":
      return r.u16();
    case "u32":
      return r.u32();
    case "i32":
      return r.i32();
    case "u64":
      return r.u64();
    case "i64":
      return r.i64();
    case "bool": {
      const at = r.pos;
      const b = r.u8();
      if (b > 1) r.fail("bad-bool", `bool must be 0 or 1, got ${b}`, at);
      return b === 1;
    }
    case "bytes":
      return r.raw(r.length(1, "byte string"));
    case "string":
      return r.utf8(r.length(1, "string"));
    case "fixed":
      return r.raw(type.length);
    case "optional": {
      const at = r.pos;
      const present = r.u8();
      if (present > 1) r.fail("bad-optional", `optional marker must be 0 or 1, got ${present}`, at);
      return present === 1 ? decodeValue(r, type.of, depth) : null;
    }
    case "list": {
      const count = r.length(minWireSize(type.of), "list");
      const items: Value[] = [];
      for (let i = 0; i < count; i++) {
        r.path.push(String(i));
        items.push(decodeValue(r, type.of, depth));
        r.path.pop();
      }
      return items;
    }
    case "ref": {
      if (depth >= MAX_NESTING_DEPTH) r.fail("too-deep", `nesting deeper than ${MAX_NESTING_DEPTH}`);
      const named = namedType(type.name);
      if (named.kind === "enum") return decodeEnum(r, named);
      if (named.kind === "struct") return decodeFields(r, named.fields, depth + 1);
      return decodeUnion(r, named, depth + 1);
    }
  }
}

function decodeEnum(r: Reader, def: EnumDef): string {
  const at = r.pos;
  const raw = def.width === "u8" ? r.u8() : r.u16();
  for (const [name, value] of Object.entries(def.values)) if (value === raw) return name;
  return r.fail("bad-enum", `${raw} is not a ${def.name}`, at);
}

function decodeUnion(r: Reader, def: UnionDef, depth: number): Value {
  const at = r.pos;
  const tag = r.u8();
  const variant = def.variants.find((v) => v.tag === tag);
  if (!variant) return r.fail("unknown-variant", `${tag} is not a ${def.name} variant`, at);
  return { kind: variant.name, ...decodeFields(r, variant.fields, depth) };
}

function invalid(path: readonly string[], detail: string): never {
  throw new ProtocolError("invalid-value", detail, -1, path.join("."));
}

export function encodeFields(w: Writer, fields: readonly Field[], value: FieldValues, path: string[]): void {
  for (const field of fields) {
    path.push(field.name);
    if (!(field.name in value)) invalid(path, "missing field");
    encodeValue(w, field.type, value[field.name] as Value, path);
    path.pop();
  }
}

function encodeValue(w: Writer, type: FieldType, value: Value, path: string[]): void {
  switch (type.kind) {
    case "u8":
    case "u16":
    case "u32":
    case "i32": {
      const [min, max] = INT_RANGES[type.kind];
      if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
        invalid(path, `expected ${type.kind}, got ${String(value)}`);
      w[type.kind](value);
      return;
    }
    case "u64":
    case "i64": {
      const [min, max] = BIGINT_RANGES[type.kind];
      if (typeof value !== "bigint" || value < min || value > max)
        invalid(path, `expected ${type.kind} bigint, got ${String(value)}`);
      w[type.kind](value);
      return;
    }
    case "bool":
      if (typeof value !== "boolean") invalid(path, `expected boolean, got ${typeof value}`);
      w.u8(value ? 1 : 0);
      return;
    case "bytes":
      if (!(value instanceof Uint8Array)) invalid(path, "expected Uint8Array");
      w.u32(value.length);
      w.raw(value);
      return;
    case "string": {
      if (typeof value !== "string") invalid(path, `expected string, got ${typeof value}`);
      if (loneSurrogate.test(value)) invalid(path, "string contains a lone UTF-16 surrogate");
      const encoded = utf8Encoder.encode(value);
      w.u32(encoded.length);
      w.raw(encoded);
      return;
    }
    case "fixed":
      if (!(value instanceof Uint8Array) || value.length !== type.length)
        invalid(path, `expected exactly ${type.length} bytes`);
      w.raw(value);
      return;
    case "optional":
      if (value === null || value === undefined) {
        w.u8(0);
        return;
      }
      w.u8(1);
      encodeValue(w, type.of, value, path);
      return;
    case "list":
      if (!Array.isArray(value)) invalid(path, "expected an array");
      w.u32(value.length);
      value.forEach((item: Value, i: number) => {
        path.push(String(i));
        encodeValue(w, type.of, item, path);
        path.pop();
      });
      return;
    case "ref": {
      const named = namedType(type.name);
      if (named.kind === "enum") {
        const raw = typeof value === "string" ? named.values[value] : undefined;
        if (raw === undefined) invalid(path, `${String(value)} is not a ${named.name}`);
        if (named.width === "u8") w.u8(raw);
        else w.u16(raw);
        return;
      }
      if (!isRecord(value)) invalid(path, `expected a ${named.name} object`);
      if (named.kind === "struct") {
        encodeFields(w, named.fields, value, path);
        return;
      }
      const variant = named.variants.find((v) => v.name === value.kind);
      if (!variant) invalid(path, `${String(value.kind)} is not a ${named.name} variant`);
      w.u8(variant.tag);
      encodeFields(w, variant.fields, value, path);
      return;
    }
  }
}

function isRecord(value: Value): value is FieldValues {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}
