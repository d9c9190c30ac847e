/** `feature.env`: which remote environment variables the local process gets. `true` | `false` | object. */
import * as v from "valibot";
import { bool, byShape, maybe, section, semicolonList, str, stringList, stringMap } from "../schema-kit.ts";

const envObject = section(
  {
    include: maybe(semicolonList, 'Remote variables to take ("A;B*" or a list; * and ? wildcards).'),
    exclude: maybe(semicolonList, "Remote variables to leave out (same syntax as include)."),
    override: maybe(stringMap, "Variables set locally to fixed values, applied last."),
    unset: maybe(stringList, "Variables removed from the process (case-insensitive)."),
    load_from_process: maybe(bool, "Fetch the remote environment inside the process instead of the CLI."),
    env_file: maybe(str, "A dotenv file whose values override the remote ones."),
    mapping: maybe(stringMap, "Regex on variable names → value that replaces matching variables' values."),
  },
  "Remote environment variables for the local process.",
);

export type EnvConfig = v.InferOutput<typeof envObject>;

export const envSchema = byShape(
  {
    boolean: v.pipe(
      bool,
      v.transform((on): EnvConfig => (on ? {} : { exclude: ["*"] })),
    ),
    object: envObject,
  },
  "true, false or an env object",
);
