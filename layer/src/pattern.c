#include "pattern.h"

#ifdef __APPLE__

bool pattern_compile(struct pattern *out, const uint8_t *source, uint32_t len) {
  /* REG_PEND: the pattern ends at re_endp, so it needs no terminating NUL. */
  out->regex.re_endp = (const char *)source + len;
  return regcomp(&out->regex, (const char *)source, REG_EXTENDED | REG_ENHANCED | REG_NOSUB | REG_PEND) == 0;
}

bool pattern_search(const struct pattern *pattern, const uint8_t *subject, uint32_t len) {
  /* REG_STARTEND: the subject is subject[0..len), NULs included, no terminator needed. */
  regmatch_t range = {.rm_so = 0, .rm_eo = (regoff_t)len};
  return regexec(&pattern->regex, (const char *)subject, 1, &range, REG_STARTEND) == 0;
}

#else

bool pattern_compile(struct pattern *out, const uint8_t *source, uint32_t len) {
  int error;
  PCRE2_SIZE offset;
  out->code = pcre2_compile((PCRE2_SPTR)source, len, PCRE2_UTF, &error, &offset, NULL);
  return out->code != NULL;
}

bool pattern_search(const struct pattern *pattern, const uint8_t *subject, uint32_t len) {
  pcre2_match_data *data = pcre2_match_data_create(1, NULL);
  if (!data) return false;
  bool matched = pcre2_match(pattern->code, subject, len, 0, 0, data, NULL) >= 0;
  pcre2_match_data_free(data);
  return matched;
}

#endif
