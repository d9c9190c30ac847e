/** Lookup tables over the catalogue, plus the consistency rules the catalogue must obey. */
import { messages, namedTypes } from "./catalogue.ts";
import type { FieldType, MessageDef, NamedType } from "./schema.ts";

export const typesByName: ReadonlyMap<string, NamedType> = new Map(namedTypes.map((t) => [t.name, t]));
export const messagesByTag: ReadonlyMap<number, MessageDef> = new Map(messages.map((m) => [m.tag, m]));
export const messagesByName: ReadonlyMap<string, MessageDef> = new Map(messages.map((m) => [m.name, m]));

export function namedType(name: string): NamedType {
  const found = typesByName.get(name);
  if (!found) throw new Error(`protocol catalogue: unknown type "${name}"`);
  return found;
}

/** Smallest number of bytes a value of this type occupies on the wire. */
export function minWireSize(type: FieldType, lookup: (name: string) => NamedType = namedType): number {
  switch (type.kind) {
    case "u8":
    case "bool":
    case "optional":
      return 1;
    case "u16":
      return 2;
    case "u32":
    case "i32":
    case "bytes":
    case "string":
    case "list":
      return 4;
    case "u64":
    case "i64":
      return 8;
    case "fixed":
      return type.length;
    case "ref": {
      const named = lookup(type.name);
      if (named.kind === "enum") return named.width === "u8" ? 1 : 2;
      if (named.kind === "union") return 1;
      return named.fields.reduce((sum, f) => sum + minWireSize(f.type, lookup), 0);
    }
  }
}

const isUnique = (values: readonly (string | number)[]): boolean => new Set(values).size === values.length;

/** Returns every rule the catalogue breaks (empty when it is sound). */
export function catalogueProblems(
  types: readonly NamedType[] = namedTypes,
  msgs: readonly MessageDef[] = messages,
): string[] {
  const problems: string[] = [];
  const known = new Map(types.map((t) => [t.name, t]));
  const lookup = (name: string): NamedType => {
    const found = known.get(name);
    if (!found) throw new Error(`unknown type ${name}`);
    return found;
  };
  if (!isUnique(types.map((t) => t.name))) problems.push("duplicate type names");
  if (!isUnique(msgs.map((m) => m.name))) problems.push("duplicate message names");
  if (!isUnique(msgs.map((m) => m.tag))) problems.push("duplicate message tags");
  const checkType = (where: string, type: FieldType): void => {
    if (type.kind === "ref" && !known.has(type.name)) problems.push(`${where}: unknown type ${type.name}`);
    if (type.kind === "optional" || type.kind === "list") checkType(where, type.of);
    if (type.kind === "list" && type.of.kind === "list")
      problems.push(`${where}: lists of lists are not supported`);
    if (type.kind === "optional" && type.of.kind === "optional") problems.push(`${where}: nested optional`);
    if (type.kind === "list" && (type.of.kind !== "ref" || known.has(type.of.name))) {
      if (minWireSize(type.of, lookup) === 0)
        problems.push(`${where}: list items must occupy at least one byte`);
    }
  };
  for (const m of msgs) {
    if (m.tag < 1 || m.tag > 0xffff) problems.push(`${m.name}: tag out of u16 range`);
    for (const f of m.fields) {
      if (f.name === "type") problems.push(`${m.name}: field name "type" is reserved`);
      checkType(`${m.name}.${f.name}`, f.type);
    }
  }
  for (const t of types) {
    if (t.kind === "enum") {
      const max = t.width === "u8" ? 0xff : 0xffff;
      if (!isUnique(Object.values(t.values))) problems.push(`${t.name}: duplicate enum values`);
      if (Object.values(t.values).some((v) => v < 0 || v > max))
        problems.push(`${t.name}: value out of range`);
    } else if (t.kind === "struct") {
      for (const f of t.fields) checkType(`${t.name}.${f.name}`, f.type);
    } else {
      if (!isUnique(t.variants.map((v) => v.tag))) problems.push(`${t.name}: duplicate variant tags`);
      if (t.variants.some((v) => v.tag < 0 || v.tag > 0xff))
        problems.push(`${t.name}: variant tag out of u8 range`);
      for (const v of t.variants)
        for (const f of v.fields) {
          if (f.name === "kind") problems.push(`${t.name}.${v.name}: field name "kind" is reserved`);
          checkType(`${t.name}.${v.name}.${f.name}`, f.type);
        }
    }
  }
  return problems;
}
