/**
 * Building blocks shared by every config section: strict objects whose unknown keys get a
 * did-you-mean, picklists that suggest the closest value, the "single value or list" shape,
 * and numeric ranges. Every block produces the error text the user sees (see errors.ts).
 */
import { isIPv4, isIPv6 } from "node:net";
import * as v from "valibot";
import { didYouMeanSuffix } from "./did-you-mean.ts";

type Entries = v.ObjectEntries;

/** A config section: unknown keys are errors naming the allowed keys. */
export function section<const E extends Entries>(entries: E, description: string) {
  const known = Object.keys(entries);
  return v.pipe(
    v.strictObject(entries, (issue) => {
      if (issue.type === "strict_object" && typeof issue.input === "string") {
        return `unknown field "${issue.input}"${didYouMeanSuffix(issue.input, known)}, expected one of: ${known.join(", ")}`;
      }
      // A required key that is absent: valibot reports it on the object, with the key in its path.
      if (issue.type === "strict_object" && issue.input === undefined && issue.path !== undefined) {
        return "missing required field";
      }
      return `expected an object, got ${issue.received}`;
    }),
    v.description(description),
  );
}

/** One of a fixed set of strings; a typo gets a suggestion. */
export function oneOf<const T extends readonly [string, ...string[]]>(options: T) {
  const expected = options.map((option) => `"${option}"`).join(" | ");
  return v.picklist(options, (issue) => {
    const hint = typeof issue.input === "string" ? didYouMeanSuffix(issue.input, options) : "";
    return `expected ${expected}, got ${issue.received}${hint}`;
  });
}

/** `"x"` or `["x", "y"]`, always resolved to a list. A `;` in a file string is not a separator. */
export const stringList = v.pipe(
  v.union(
    [v.string(), v.array(v.string())],
    (issue) => `expected a string or a list of strings, got ${issue.received}`,
  ),
  v.transform((value): string[] => (typeof value === "string" ? [value] : value)),
);

/** Like stringList, but `;` separates entries even in files (documented for env include/exclude). */
export const semicolonList = v.pipe(
  v.union(
    [v.string(), v.array(v.string())],
    (issue) => `expected a string or a list of strings, got ${issue.received}`,
  ),
  v.transform((value): string[] =>
    (typeof value === "string" ? [value] : value)
      .flatMap((item) => item.split(";"))
      .filter((item) => item !== ""),
  ),
);

function integerIn(min: number, max: number, name: string) {
  return v.pipe(
    v.number((issue) => `expected ${name} (${min}..${max}), got ${issue.received}`),
    v.integer((issue) => `expected ${name} (${min}..${max}), got ${issue.received}`),
    v.minValue(min, (issue) => `expected ${name} (${min}..${max}), got ${issue.received}`),
    v.maxValue(max, (issue) => `expected ${name} (${min}..${max}), got ${issue.received}`),
  );
}

export const u16 = integerIn(0, 65_535, "an integer");
export const u32 = integerIn(0, 4_294_967_295, "an integer");
export const u64 = integerIn(0, Number.MAX_SAFE_INTEGER, "an integer");
export const i32 = integerIn(-2_147_483_648, 2_147_483_647, "an integer");
export const port = integerIn(1, 65_535, "a port");

export const i64 = integerIn(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, "an integer");

export const bool = v.boolean((issue) => `expected true or false, got ${issue.received}`);
export const str = v.string((issue) => `expected a string, got ${issue.received}`);
export const stringMap = v.record(
  v.string(),
  v.string((issue) => `expected a string value, got ${issue.received}`),
  (issue) => `expected an object of string values, got ${issue.received}`,
);

/** `IP:PORT` with an IPv6 address in brackets, as Rust's `SocketAddr` reads it (no host names). */
export function isSocketAddress(text: string): boolean {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  if (match === null || Number(match[3]) > 65_535) return false;
  return match[1] === undefined ? isIPv4(match[2] ?? "") : isIPv6(match[1]);
}

export const SOCKET_ADDRESS_EXPECTED = "an address IP:PORT such as 127.0.0.1:61337 or [::1]:61337";

export const socketAddress = v.pipe(
  str,
  v.check(isSocketAddress, (issue) => `expected ${SOCKET_ADDRESS_EXPECTED}, got ${issue.received}`),
);

/** An object with any keys; its values are checked by whoever reads them. */
export const anyObject = v.record(
  v.string(),
  v.unknown(),
  (issue) => `expected an object, got ${issue.received}`,
);

export function listOf<T extends v.GenericSchema>(item: T) {
  return v.array(item, (issue) => `expected a list, got ${issue.received}`);
}

/** An optional field with a documented default and description (both land in the JSON Schema). */
export function withDefault<T extends v.GenericSchema, const D extends v.InferInput<T>>(
  schema: T,
  fallback: D,
  description: string,
) {
  // `never` keeps valibot's output type free of `undefined`; D already checked the fallback's type.
  // The description sits outside `optional` so JSON Schema keeps it even when `schema` transforms.
  return v.pipe(v.optional(schema, fallback as never), v.description(description));
}

/** An optional field without default: absent (or JSON null) stays absent in the resolved config. */
export function maybe<T extends v.GenericSchema>(schema: T, description: string) {
  return v.pipe(
    v.nullish(schema),
    v.description(description),
    v.transform((value): v.InferOutput<T> | undefined => value ?? undefined),
  );
}

type Shape = "boolean" | "string" | "number" | "object" | "array";
type Branches = Partial<Record<Shape, v.GenericSchema>>;
type BranchOf<B extends Branches> = Extract<NonNullable<B[keyof B]>, v.GenericSchema>;

function shapeOf(input: unknown): Shape | undefined {
  if (Array.isArray(input)) return "array";
  if (input === null) return undefined;
  const kind = typeof input;
  return kind === "boolean" || kind === "string" || kind === "number" || kind === "object" ? kind : undefined;
}

/**
 * A field with shorthand forms, picked by the JSON type of the input (bool / string / object…).
 * Unlike a plain union, the user gets the error of the one form they wrote, with its exact path.
 * The JSON Schema sees all forms as `anyOf`.
 */
export function byShape<const B extends Branches>(
  branches: B,
  expected: string,
  pickObject?: (input: Record<string, unknown>) => v.GenericSchema | undefined,
) {
  const forms = Object.values(branches) as v.GenericSchema[];
  const allForms = v.union(forms as [v.GenericSchema, ...v.GenericSchema[]]);
  const mismatch = v.custom<never>(
    () => false,
    (issue) => `expected ${expected}, got ${issue.received}`,
  );
  return v.lazy((input) => {
    if (input === undefined) return allForms;
    const shape = shapeOf(input);
    if (shape === "object" && pickObject) return pickObject(input as Record<string, unknown>) ?? mismatch;
    return (shape === undefined ? undefined : branches[shape]) ?? mismatch;
  }) as unknown as v.GenericSchema<v.InferInput<BranchOf<B>>, v.InferOutput<BranchOf<B>>>;
}
