/** JSON Schema of the config file (what `mirrord schema` prints), generated from the valibot schema. */
import { toJsonSchema } from "@valibot/to-json-schema";
import { configSchema } from "./root.ts";

export function configJsonSchema(): Record<string, unknown> {
  const schema = toJsonSchema(configSchema, { typeMode: "input", errorMode: "ignore" });
  return { ...schema, title: "mirrord configuration", $id: "https://mirrord.dev/schema/mirrord-config.json" };
}
