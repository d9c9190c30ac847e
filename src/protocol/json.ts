/**
 * The JSON form of frames, used by the shared test vectors and for readable dumps: u64/i64 as decimal
 * strings, bytes as lowercase hex, optional as value or null, enums by name, unions as
 * `{ "kind": name, ...fields }`, a frame as `{ "requestId": "…", "message": { "type": name, ...fields } }`.
 */
import type { Value } from "./codec.ts";
import { ProtocolError } from "./errors.ts";
import { messagesByName, namedType } from "./registry.ts";
import type { Field, FieldType } from "./schema.ts";
import type { Frame, Message } from "./types.gen.ts";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

function bad(path: readonly string[], detail: string): never {
  throw new ProtocolError("invalid-value", detail, -1, path.join("."));
}

function fromHex(text: Json, path: readonly string[]): Uint8Array {
  if (typeof text !== "string" || !/^(?:[0-9a-f]{2})*$/.test(text))
    bad(path, "expected lowercase hex string");
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function valueToJson(type: FieldType, value: Value): Json {
  switch (type.kind) {
    case "u64":
    case "i64":
      return String(value);
    case "bytes":
    case "fixed":
      return toHex(value as Uint8Array);
    case "optional":
      return value === null ? null : valueToJson(type.of, value);
    case "list":
      return (value as readonly Value[]).map((item) => valueToJson(type.of, item));
    case "ref": {
      const named = namedType(type.name);
      if (named.kind === "enum") return value as string;
      const record = value as { readonly [key: string]: Value };
      if (named.kind === "struct") return fieldsToJson(named.fields, record);
      const variant = named.variants.find((v) => v.name === record.kind);
      return { kind: record.kind as string, ...fieldsToJson(variant?.fields ?? [], record) };
    }
    default:
      return value as number | boolean | string;
  }
}

function fieldsToJson(
  fields: readonly Field[],
  value: { readonly [key: string]: Value },
): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const f of fields) out[f.name] = valueToJson(f.type, value[f.name] as Value);
  return out;
}

function valueFromJson(type: FieldType, json: Json, path: string[]): Value {
  switch (type.kind) {
    case "u64":
    case "i64":
      if (typeof json !== "string" || !/^-?\d+$/.test(json)) bad(path, "expected a decimal string");
      return BigInt(json);
    case "bytes":
    case "fixed":
      return fromHex(json, path);
    case "optional":
      return json === null ? null : valueFromJson(type.of, json, path);
    case "list":
      if (!Array.isArray(json)) bad(path, "expected an array");
      return json.map((item, i) => {
        path.push(String(i));
        const v = valueFromJson(type.of, item, path);
        path.pop();
        return v;
      });
    case "ref": {
      const named = namedType(type.name);
      if (named.kind === "enum") return json as string;
      if (typeof json !== "object" || json === null || Array.isArray(json)) bad(path, "expected an object");
      if (named.kind === "struct") return fieldsFromJson(named.fields, json, path);
      const variant = named.variants.find((v) => v.name === json.kind);
      if (!variant) bad(path, `unknown ${named.name} kind ${String(json.kind)}`);
      return { kind: variant.name, ...fieldsFromJson(variant.fields, json, path) };
    }
    default:
      return json as number | boolean | string;
  }
}

function fieldsFromJson(
  fields: readonly Field[],
  json: { [key: string]: Json },
  path: string[],
): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const f of fields) {
    path.push(f.name);
    if (!(f.name in json)) bad(path, "missing field");
    out[f.name] = valueFromJson(f.type, json[f.name] as Json, path);
    path.pop();
  }
  return out;
}

export function frameToJson(frame: Frame): Json {
  const { type, ...fields } = frame.message;
  const def = messagesByName.get(type);
  if (!def) throw new ProtocolError("invalid-value", `unknown message type ${type}`, -1);
  const body = fieldsToJson(def.fields, fields as unknown as { readonly [key: string]: Value });
  return { requestId: String(frame.requestId), message: { type, ...body } };
}

/** Parses the JSON form back into a frame; wrong shapes are reported with the field path. */
export function frameFromJson(json: Json): Frame {
  if (typeof json !== "object" || json === null || Array.isArray(json)) bad([], "frame must be an object");
  const { requestId, message } = json;
  if (typeof requestId !== "string" || !/^\d+$/.test(requestId))
    bad(["requestId"], "expected a decimal string");
  if (typeof message !== "object" || message === null || Array.isArray(message))
    bad(["message"], "expected an object");
  const def = messagesByName.get(String(message.type));
  if (!def) bad(["message", "type"], `unknown message type ${String(message.type)}`);
  const fields = fieldsFromJson(def.fields, message, [def.name]);
  return { requestId: BigInt(requestId), message: { type: def.name, ...fields } as unknown as Message };
}
