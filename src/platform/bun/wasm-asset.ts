/**
 * The fancy-regex WebAssembly module (scripts/build-wasm). Bun's file import makes
 * `bun build --compile` embed the module in the single executable; from source it resolves to
 * build/wasm/fancy_regex.wasm in the checkout.
 */
import fancyRegexWasmPath from "../../../build/wasm/fancy_regex.wasm" with { type: "file" };

export async function loadFancyRegexWasm(): Promise<Uint8Array> {
  return new Uint8Array(await Bun.file(fancyRegexWasmPath).arrayBuffer());
}
