/**
 * Rejects bodies the real API server would reject for shape: unknown fields and wrong JSON types,
 * checked against client-node's generated model metadata (the OpenAPI types it was generated from).
 * Value-level validation (names, quantities, enums) is not done.
 */
import * as k8s from "@kubernetes/client-node";

interface Attribute {
  baseName: string;
  type: string;
}
type Model = { getAttributeTypeMap(): Attribute[] };

function modelOf(name: string): Model | undefined {
  const candidate = (k8s as Record<string, unknown>)[name] as Partial<Model> | undefined;
  return typeof candidate?.getAttributeTypeMap === "function" ? (candidate as Model) : undefined;
}

/** Problems found, each `path: what`; empty when the object fits the model. */
export function schemaProblems(value: unknown, type: string, path = ""): string[] {
  const here = path || "<root>";
  if (value === null || value === undefined) return [];
  const array = /^Array<(.+)>$/.exec(type);
  if (array?.[1]) {
    if (!Array.isArray(value)) return [`${here}: expected an array, got ${typeof value}`];
    return value.flatMap((item, index) => schemaProblems(item, array[1] as string, `${path}[${index}]`));
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map?.[1]) {
    if (typeof value !== "object" || Array.isArray(value)) return [`${here}: expected an object`];
    return Object.entries(value).flatMap(([key, item]) =>
      schemaProblems(item, map[1] as string, `${path}.${key}`),
    );
  }
  switch (type) {
    case "string":
    case "Date":
    case "V1MicroTime":
      return typeof value === "string" ? [] : [`${here}: expected a string, got ${JSON.stringify(value)}`];
    case "number":
      return Number.isInteger(value) ? [] : [`${here}: expected an integer, got ${JSON.stringify(value)}`];
    case "boolean":
      return typeof value === "boolean" ? [] : [`${here}: expected a boolean, got ${JSON.stringify(value)}`];
    case "IntOrString":
      return typeof value === "string" || Number.isInteger(value)
        ? []
        : [`${here}: expected an int or string`];
    case "any":
      return [];
  }
  const model = modelOf(type);
  if (!model) return [];
  if (typeof value !== "object" || Array.isArray(value)) return [`${here}: expected an object (${type})`];
  const attributes = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  return Object.entries(value).flatMap(([key, item]) => {
    const itemType = attributes.get(key);
    if (itemType === undefined) return [`${path}.${key}: unknown field "${key}" in ${type}`];
    return schemaProblems(item, itemType, `${path}.${key}`);
  });
}
