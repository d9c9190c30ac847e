/*
 * A regular expression the layer searches names and paths with (outgoing.unix_streams, the fs path
 * lists and fs.mapping). On Linux it is PCRE2 (linked statically); on macOS libSystem's own regex with
 * REG_EXTENDED | REG_ENHANCED, which adds what PCRE-style patterns lean on (\d \w \s \b, lazy
 * quantifiers, inline (?i)) so the dylib needs nothing but libSystem. Matching is an unanchored search
 * in both. Compile once, search from any thread.
 */
#ifndef MIRRORD_LAYER_PATTERN_H
#define MIRRORD_LAYER_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __APPLE__
#include <regex.h>
struct pattern {
  regex_t regex;
};
#else
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
struct pattern {
  pcre2_code *code;
};
#endif

enum pattern_option { PATTERN_CASELESS = 1 };

/* false when `source` (len bytes, UTF-8) does not compile. */
bool pattern_compile(struct pattern *out, const uint8_t *source, uint32_t len);

/* pattern_compile with `options` (enum pattern_option bits); on failure `error` (error_cap bytes,
 * may be 0) says why. */
bool pattern_compile_with(struct pattern *out, const uint8_t *source, uint32_t len, unsigned options, char *error,
                          size_t error_cap);

/* Whether the pattern matches anywhere in `subject` (len bytes). */
bool pattern_search(const struct pattern *pattern, const uint8_t *subject, uint32_t len);

/*
 * `subject` with its first match replaced by `replacement` (rlen bytes; `$n`, `${n}` name groups, `$$`
 * is a dollar) into `out`, NUL-terminated: the result's length, or -1 when nothing matched, the
 * replacement is not understood or the result does not fit in `cap`.
 */
long pattern_replace(const struct pattern *pattern, const char *subject, size_t len, const uint8_t *replacement,
                     uint32_t rlen, char *out, size_t cap);

#endif
