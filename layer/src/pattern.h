/*
 * A regular expression the layer searches names with (outgoing.unix_streams). On Linux it is PCRE2
 * (linked statically); on macOS libSystem's own regex with REG_EXTENDED | REG_ENHANCED, which adds
 * what PCRE-style patterns lean on (\d \w \s \b, lazy quantifiers, inline (?i)) so the dylib needs
 * nothing but libSystem. Matching is an unanchored search in both. Compile once, search from any thread.
 */
#ifndef MIRRORD_LAYER_PATTERN_H
#define MIRRORD_LAYER_PATTERN_H

#include <stdbool.h>
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

/* false when `source` (len bytes, UTF-8) does not compile. */
bool pattern_compile(struct pattern *out, const uint8_t *source, uint32_t len);

/* Whether the pattern matches anywhere in `subject` (len bytes). */
bool pattern_search(const struct pattern *pattern, const uint8_t *subject, uint32_t len);

#endif
