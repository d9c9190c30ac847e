/**
 * The target's environment as the program must see it: the agent's answer to GetEnv, then `env_file`,
 * `mapping` and `override` (src/env/compose.ts). Done here, for the CLI and for layers fetching it themselves
 * (`load_from_process`) alike, so both paths give the same result.
 */
import { readFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { parse as parseDotenv } from "dotenv";
import { composeRemoteEnv, type EnvFeature } from "../env/compose.ts";
import { FancyRegexEngine } from "../filters/regex.ts";
import { loadFancyRegexWasm } from "../platform/index.ts";
import { ErrorKind, type Message, type MessageOf } from "../protocol/index.ts";

export type EnvComposer = (reply: MessageOf<"Env">) => Promise<Message>;

export function envComposerFor(feature: EnvFeature, cwd: string): EnvComposer {
  let engine: Promise<FancyRegexEngine> | undefined;
  return async (reply) => {
    let envFile: Record<string, string> = {};
    if (feature.env_file) {
      const path = isAbsolute(feature.env_file) ? feature.env_file : join(cwd, feature.env_file);
      try {
        envFile = parseDotenv(await readFile(path, "utf8"));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? "EIO";
        return {
          type: "ErrorReply",
          error: {
            errno: code === "ENOENT" ? 2 : 5,
            kind: ErrorKind.io,
            message: `feature.env.env_file: cannot read ${path}: ${code}`,
          },
        };
      }
    }
    const mapping = Object.keys(feature.mapping ?? {});
    if (mapping.length > 0)
      engine ??= loadFancyRegexWasm().then((bytes) => FancyRegexEngine.fromBytes(bytes));
    const regexes = engine ? await engine : undefined;
    const composed = composeRemoteEnv({
      fetched: Object.fromEntries(reply.vars.map(({ name, value }) => [name, value])),
      envFile,
      feature,
      nameMatches: (pattern, name) => {
        const regex = regexes?.compile(pattern);
        try {
          return regex?.test(name) ?? false;
        } finally {
          regex?.free();
        }
      },
    });
    return { type: "Env", vars: Object.entries(composed).map(([name, value]) => ({ name, value })) };
  };
}
