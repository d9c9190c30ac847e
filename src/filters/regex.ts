/**
 * Regexes with mirrord's semantics: the Rust fancy-regex crate (look-around, back-references,
 * `(?i)`), compiled to WebAssembly, so HTTP filters and their validation at config load behave
 * exactly like the agent's. Pure TS: the caller supplies the wasm bytes
 * (src/platform/<runtime>/wasm-asset.ts). Compile once, match many, free when done; a regex
 * that is dropped without `free()` is released by a FinalizationRegistry as a safety net.
 */

import { FancyRegexEngineError, RegexMatchError, RegexSyntaxError } from "./errors.ts";
import { FancyRegexAbi } from "./fancy-regex-abi.ts";

export { FancyRegexEngineError, RegexMatchError, RegexSyntaxError } from "./errors.ts";

export interface CompileOptions {
  /** Match regardless of case, as mirrord does for header and path filters (it prepends `(?i)`). */
  readonly caseInsensitive?: boolean;
}

export interface FancyRegex {
  readonly pattern: string;
  /**
   * True if the regex matches anywhere in `text` (unanchored search).
   * @throws RegexMatchError when matching gives up (backtrack limit), which is not "no match".
   */
  test(text: string): boolean;
  /** Releases the compiled regex; later `test` calls throw. Calling it again does nothing. */
  free(): void;
}

export class FancyRegexEngine {
  readonly #abi: FancyRegexAbi;
  readonly #orphans: FinalizationRegistry<number>;

  private constructor(abi: FancyRegexAbi) {
    this.#abi = abi;
    this.#orphans = new FinalizationRegistry((handle) => abi.freeQuietly(handle));
  }

  /** @throws FancyRegexEngineError when the bytes are not the fancy_regex.wasm module. */
  static fromBytes(wasmBytes: Uint8Array): FancyRegexEngine {
    return new FancyRegexEngine(FancyRegexAbi.instantiate(wasmBytes));
  }

  /** @throws RegexSyntaxError carrying fancy-regex's message when `pattern` is invalid. */
  compile(pattern: string, options: CompileOptions = {}): FancyRegex {
    const result = this.#abi.compile(pattern, options.caseInsensitive ?? false);
    if (!result.ok) throw new RegexSyntaxError(pattern, result.message);
    const regex = new CompiledRegex(this.#abi, pattern, result.value, (self) =>
      this.#orphans.unregister(self),
    );
    this.#orphans.register(regex, result.value, regex);
    return regex;
  }

  /** Size of the engine's linear memory in bytes (grows on demand, never shrinks). */
  get memoryBytes(): number {
    return this.#abi.memoryBytes;
  }
}

class CompiledRegex implements FancyRegex {
  readonly #abi: FancyRegexAbi;
  readonly #onFree: (self: CompiledRegex) => void;
  #handle: number | undefined;

  constructor(
    abi: FancyRegexAbi,
    readonly pattern: string,
    handle: number,
    onFree: (self: CompiledRegex) => void,
  ) {
    this.#abi = abi;
    this.#handle = handle;
    this.#onFree = onFree;
  }

  test(text: string): boolean {
    if (this.#handle === undefined) {
      throw new FancyRegexEngineError(`regex \`${this.pattern}\` was used after free()`);
    }
    const result = this.#abi.isMatch(this.#handle, text);
    if (!result.ok) throw new RegexMatchError(this.pattern, result.message);
    return result.value;
  }

  free(): void {
    if (this.#handle === undefined) return;
    const handle = this.#handle;
    this.#handle = undefined;
    this.#onFree(this);
    this.#abi.free(handle);
  }
}

/**
 * fancy-regex's complaint about `pattern`, or undefined when it compiles. For validating
 * HTTP filter regexes when the configuration is loaded.
 */
export function validateFancyRegex(
  engine: FancyRegexEngine,
  pattern: string,
  options: CompileOptions = {},
): string | undefined {
  try {
    engine.compile(pattern, options).free();
    return undefined;
  } catch (error) {
    if (error instanceof RegexSyntaxError) return error.reason;
    throw error;
  }
}
