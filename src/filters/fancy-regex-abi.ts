/**
 * The raw C ABI of fancy_regex.wasm (fancy-regex-wasm/src/lib.rs) turned into JS calls:
 * strings are copied into the module's linear memory as UTF-8, statuses come back as
 * results or errors. Knows nothing about regex objects or their lifetimes (regex.ts does).
 */
import { FancyRegexEngineError } from "./errors.ts";

interface FancyRegexExports {
  memory: WebAssembly.Memory;
  fr_alloc(len: number): number;
  fr_dealloc(ptr: number, len: number): void;
  fr_compile(ptr: number, len: number, flags: number): number;
  fr_is_match(handle: number, ptr: number, len: number): number;
  fr_regex_free(handle: number): number;
  fr_last_error_ptr(): number;
  fr_last_error_len(): number;
}

const FUNCTION_EXPORTS = [
  "fr_alloc",
  "fr_dealloc",
  "fr_compile",
  "fr_is_match",
  "fr_regex_free",
  "fr_last_error_ptr",
  "fr_last_error_len",
] as const;

const FLAG_CASE_INSENSITIVE = 1;
/** Syntax error (compile) or gave-up-matching (is_match); every other negative status is an engine fault. */
const STATUS_REGEX_ERROR = -1;
/** Inputs up to this size reuse one buffer instead of an allocation per call (headers, paths). */
const SCRATCH_BYTES = 4096;

/** What a call produced, or fancy-regex's message when the regex itself failed. */
export type AbiResult<T> = { ok: true; value: T } | { ok: false; message: string };

export class FancyRegexAbi {
  readonly #exports: FancyRegexExports;
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();
  readonly #scratch: number;
  #trap: string | undefined;

  private constructor(exports: FancyRegexExports) {
    this.#exports = exports;
    this.#scratch = this.#alloc(SCRATCH_BYTES);
  }

  static instantiate(bytes: Uint8Array): FancyRegexAbi {
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), {});
    } catch (error) {
      throw new FancyRegexEngineError(`fancy-regex wasm module cannot be loaded: ${errorText(error)}`);
    }
    return new FancyRegexAbi(checkExports(instance.exports));
  }

  /** Bytes of linear memory the module holds now; it grows on demand and never shrinks. */
  get memoryBytes(): number {
    return this.#exports.memory.buffer.byteLength;
  }

  compile(pattern: string, caseInsensitive: boolean): AbiResult<number> {
    const flags = caseInsensitive ? FLAG_CASE_INSENSITIVE : 0;
    const status = this.#withUtf8(pattern, (ptr, len) =>
      this.#guard(() => this.#exports.fr_compile(ptr, len, flags)),
    );
    return status > 0 ? { ok: true, value: status } : this.#failure(status);
  }

  isMatch(handle: number, text: string): AbiResult<boolean> {
    const status = this.#withUtf8(text, (ptr, len) =>
      this.#guard(() => this.#exports.fr_is_match(handle, ptr, len)),
    );
    return status >= 0 ? { ok: true, value: status === 1 } : this.#failure(status);
  }

  free(handle: number): void {
    const status = this.#guard(() => this.#exports.fr_regex_free(handle));
    if (status !== 0) throw new FancyRegexEngineError(this.#lastError());
  }

  /** For garbage-collection callbacks, which have nobody to report to: never throws. */
  freeQuietly(handle: number): void {
    if (this.#trap === undefined) {
      try {
        this.#exports.fr_regex_free(handle);
      } catch (error) {
        this.#trap = errorText(error);
      }
    }
  }

  #failure(status: number): { ok: false; message: string } {
    const message = this.#lastError();
    if (status === STATUS_REGEX_ERROR) return { ok: false, message };
    throw new FancyRegexEngineError(message);
  }

  #withUtf8<T>(text: string, use: (ptr: number, len: number) => T): T {
    const bytes = this.#encoder.encode(text);
    const pooled = bytes.length <= SCRATCH_BYTES;
    const ptr = pooled ? this.#scratch : this.#alloc(bytes.length);
    new Uint8Array(this.#exports.memory.buffer, ptr, bytes.length).set(bytes);
    try {
      return use(ptr, bytes.length);
    } finally {
      if (!pooled && this.#trap === undefined) this.#exports.fr_dealloc(ptr, bytes.length);
    }
  }

  #alloc(len: number): number {
    const ptr = this.#guard(() => this.#exports.fr_alloc(len)) >>> 0;
    if (ptr === 0) throw new FancyRegexEngineError(`fancy-regex wasm is out of memory (wanted ${len} bytes)`);
    return ptr;
  }

  #lastError(): string {
    const ptr = this.#guard(() => this.#exports.fr_last_error_ptr()) >>> 0;
    const len = this.#guard(() => this.#exports.fr_last_error_len()) >>> 0;
    return this.#decoder.decode(new Uint8Array(this.#exports.memory.buffer, ptr, len));
  }

  /**
   * Runs one export. The module imports nothing, so anything thrown is a trap (a Rust panic
   * or a stack overflow); after one, the module's state is undefined and it must not be used again.
   */
  #guard<T>(call: () => T): T {
    if (this.#trap !== undefined) {
      throw new FancyRegexEngineError(`fancy-regex wasm is unusable after an earlier trap: ${this.#trap}`);
    }
    try {
      return call();
    } catch (error) {
      this.#trap = errorText(error);
      throw new FancyRegexEngineError(`fancy-regex wasm trapped: ${this.#trap}`);
    }
  }
}

function checkExports(exports: Record<string, unknown>): FancyRegexExports {
  if (!(exports.memory instanceof WebAssembly.Memory)) {
    throw new FancyRegexEngineError("fancy-regex wasm module does not export its memory");
  }
  for (const name of FUNCTION_EXPORTS) {
    if (typeof exports[name] !== "function") {
      throw new FancyRegexEngineError(`fancy-regex wasm module does not export function ${name}`);
    }
  }
  return exports as unknown as FancyRegexExports;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
