/** Shared by the config tests: load a config from an in-memory file. */
import { type LoadedConfig, loadConfig } from "./load.ts";

export async function loadText(
  text: string | undefined,
  env: Record<string, string> = {},
  file = "mirrord.json",
): Promise<LoadedConfig> {
  return loadConfig({
    env: text === undefined ? env : { MIRRORD_CONFIG_FILE: file, ...env },
    cwd: "/work",
    readFile: async () => text ?? "",
    readStdin: async () => text ?? "",
    generateKey: () => "abcde",
  });
}

export async function loadError(
  text: string,
  env: Record<string, string> = {},
  file?: string,
): Promise<Error> {
  try {
    await loadText(text, env, file);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`expected the config to be rejected: ${text}`);
}
