/**
 * The schema DSL the message catalogue is written in. A schema is plain data: the TS codec
 * interprets it at run time and `scripts/gen-protocol.ts` turns it into the C codec and the TS types.
 *
 * Wire form of each field type (all integers little-endian, fixed width):
 *   u8/u16/u32/u64/i32/i64  the integer
 *   bool                    one byte, 0 or 1
 *   bytes / string          u32 length, then the bytes (string = UTF-8)
 *   fixed(n)                exactly n raw bytes (IP addresses)
 *   optional(T)             one byte 0 (absent) or 1 followed by T
 *   list(T)                 u32 count, then the items
 *   enum                    u8 or u16 holding one of the declared values
 *   struct                  its fields in order
 *   union                   u8 variant tag, then that variant's fields in order
 */

export type IntKind = "u8" | "u16" | "u32" | "u64" | "i32" | "i64";

export type FieldType =
  | { readonly kind: IntKind }
  | { readonly kind: "bool" }
  | { readonly kind: "bytes" }
  | { readonly kind: "string" }
  | { readonly kind: "fixed"; readonly length: number }
  | { readonly kind: "optional"; readonly of: FieldType }
  | { readonly kind: "list"; readonly of: FieldType }
  | { readonly kind: "ref"; readonly name: string };

export interface Field {
  readonly name: string;
  readonly type: FieldType;
}

export interface EnumDef {
  readonly kind: "enum";
  readonly name: string;
  readonly width: "u8" | "u16";
  readonly values: Readonly<Record<string, number>>;
}

export interface StructDef {
  readonly kind: "struct";
  readonly name: string;
  readonly fields: readonly Field[];
}

export interface Variant {
  readonly name: string;
  readonly tag: number;
  readonly fields: readonly Field[];
}

export interface UnionDef {
  readonly kind: "union";
  readonly name: string;
  readonly variants: readonly Variant[];
}

export type NamedType = EnumDef | StructDef | UnionDef;

/** Which side sends a message: a client (layer → intproxy, intproxy → agent), the serving side, or both. */
export type Direction = "client" | "server" | "both";

export interface MessageDef {
  readonly name: string;
  readonly tag: number;
  readonly direction: Direction;
  readonly fields: readonly Field[];
}

export const u8: FieldType = { kind: "u8" };
export const u16: FieldType = { kind: "u16" };
export const u32: FieldType = { kind: "u32" };
export const u64: FieldType = { kind: "u64" };
export const i32: FieldType = { kind: "i32" };
export const i64: FieldType = { kind: "i64" };
export const bool: FieldType = { kind: "bool" };
export const bytes: FieldType = { kind: "bytes" };
export const string: FieldType = { kind: "string" };
export const fixed = (length: number): FieldType => ({ kind: "fixed", length });
export const optional = (of: FieldType): FieldType => ({ kind: "optional", of });
export const list = (of: FieldType): FieldType => ({ kind: "list", of });
export const ref = (named: NamedType | string): FieldType => ({
  kind: "ref",
  name: typeof named === "string" ? named : named.name,
});

/** Fields are written as an ordered object literal: `{ fd: u64, path: string }`. */
export type FieldList = Readonly<Record<string, FieldType>>;

const toFields = (fields: FieldList): Field[] =>
  Object.entries(fields).map(([name, type]) => ({ name, type }));

export const enumType = (
  name: string,
  width: "u8" | "u16",
  values: Readonly<Record<string, number>>,
): EnumDef => ({ kind: "enum", name, width, values });

export const struct = (name: string, fields: FieldList): StructDef => ({
  kind: "struct",
  name,
  fields: toFields(fields),
});

export const union = (name: string, variants: Readonly<Record<string, [number, FieldList]>>): UnionDef => ({
  kind: "union",
  name,
  variants: Object.entries(variants).map(([variantName, [tag, fields]]) => ({
    name: variantName,
    tag,
    fields: toFields(fields),
  })),
});

export const message = (
  name: string,
  tag: number,
  direction: Direction,
  fields: FieldList = {},
): MessageDef => ({
  name,
  tag,
  direction,
  fields: toFields(fields),
});
