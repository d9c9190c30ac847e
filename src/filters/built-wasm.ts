/** For tests: the module scripts/build-wasm writes, read through node:fs so Bun and Deno both can. */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export function builtWasm(): Uint8Array {
  const path = fileURLToPath(new URL("../../build/wasm/fancy_regex.wasm", import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} is missing: run scripts/build-wasm first`);
  return readFileSync(path);
}
