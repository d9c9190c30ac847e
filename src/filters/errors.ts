/** Errors raised by the fancy-regex engine, one class per thing a caller can act on. */

/** The pattern is not a valid fancy-regex; `reason` is fancy-regex's own message. */
export class RegexSyntaxError extends Error {
  override readonly name = "RegexSyntaxError";

  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`invalid regex \`${pattern}\`: ${reason}`);
  }
}

/**
 * Matching gave up before deciding (backtrack limit or backtracking stack exhausted). The
 * answer is unknown, so callers must not read it as "no match".
 */
export class RegexMatchError extends Error {
  override readonly name = "RegexMatchError";

  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`regex \`${pattern}\` could not finish matching: ${reason}`);
  }
}

/** The engine itself failed (bad module, exhausted memory, trap, use after free). */
export class FancyRegexEngineError extends Error {
  override readonly name = "FancyRegexEngineError";
}
