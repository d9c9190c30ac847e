#include "pattern.h"

#include <string.h>

bool pattern_compile(struct pattern *out, const uint8_t *source, uint32_t len) {
  return pattern_compile_with(out, source, len, 0, NULL, 0);
}

#ifdef __APPLE__

/* Capture groups pattern_replace can name ($0 … $9). */
#define GROUPS 10

bool pattern_compile_with(struct pattern *out, const uint8_t *source, uint32_t len, unsigned options, char *error,
                          size_t error_cap) {
  /* REG_PEND: the pattern ends at re_endp, so it needs no terminating NUL. */
  out->regex.re_endp = (const char *)source + len;
  int flags = REG_EXTENDED | REG_ENHANCED | REG_PEND | ((options & PATTERN_CASELESS) ? REG_ICASE : 0);
  int rc = regcomp(&out->regex, (const char *)source, flags);
  if (rc != 0 && error_cap) regerror(rc, &out->regex, error, error_cap);
  return rc == 0;
}

/* REG_STARTEND: the subject is subject[0..len), NULs included, no terminator needed. */
static bool find(const struct pattern *pattern, const char *subject, size_t len, regmatch_t *groups, size_t count) {
  groups[0] = (regmatch_t){.rm_so = 0, .rm_eo = (regoff_t)len};
  return regexec(&pattern->regex, subject, count, groups, REG_STARTEND) == 0;
}

bool pattern_search(const struct pattern *pattern, const uint8_t *subject, uint32_t len) {
  regmatch_t whole;
  return find(pattern, (const char *)subject, len, &whole, 1);
}

/* Appends bytes to out[*used..cap), keeping room for the NUL; false when they do not fit. */
static bool put(char *out, size_t cap, size_t *used, const char *bytes, size_t len) {
  if (*used + len >= cap) return false;
  memcpy(out + *used, bytes, len);
  *used += len;
  return true;
}

/* The group number a `$` reference at replacement[*at] names (`$n` or `${n}`), moving *at past it; -1
 * when it is not one ($name, an unclosed brace). */
static int group_reference(const uint8_t *replacement, uint32_t rlen, uint32_t *at) {
  bool braced = *at < rlen && replacement[*at] == '{';
  uint32_t i = *at + braced;
  int group = -1;
  for (; i < rlen && replacement[i] >= '0' && replacement[i] <= '9'; i++)
    group = (group < 0 ? 0 : group * 10) + (replacement[i] - '0');
  if (braced && (i >= rlen || replacement[i++] != '}')) return -1;
  *at = i;
  return group < GROUPS ? group : -1;
}

long pattern_replace(const struct pattern *pattern, const char *subject, size_t len, const uint8_t *replacement,
                     uint32_t rlen, char *out, size_t cap) {
  regmatch_t groups[GROUPS];
  if (!find(pattern, subject, len, groups, GROUPS)) return -1;
  size_t used = 0;
  if (!put(out, cap, &used, subject, (size_t)groups[0].rm_so)) return -1;
  for (uint32_t at = 0; at < rlen;) {
    uint8_t c = replacement[at++];
    if (c != '$') {
      if (!put(out, cap, &used, (const char *)&c, 1)) return -1;
    } else if (at < rlen && replacement[at] == '$') {
      at++;
      if (!put(out, cap, &used, "$", 1)) return -1;
    } else {
      int group = group_reference(replacement, rlen, &at);
      if (group < 0) return -1;
      const regmatch_t *g = &groups[group];
      if (g->rm_so >= 0 && !put(out, cap, &used, subject + g->rm_so, (size_t)(g->rm_eo - g->rm_so))) return -1;
    }
  }
  if (!put(out, cap, &used, subject + groups[0].rm_eo, len - (size_t)groups[0].rm_eo)) return -1;
  out[used] = '\0';
  return (long)used;
}

#else

bool pattern_compile_with(struct pattern *out, const uint8_t *source, uint32_t len, unsigned options, char *error,
                          size_t error_cap) {
  int rc;
  PCRE2_SIZE offset;
  uint32_t flags = PCRE2_UTF | ((options & PATTERN_CASELESS) ? PCRE2_CASELESS : 0);
  out->code = pcre2_compile((PCRE2_SPTR)source, len, flags, &rc, &offset, NULL);
  if (!out->code) {
    if (error_cap) pcre2_get_error_message(rc, (PCRE2_UCHAR *)error, error_cap);
    return false;
  }
  pcre2_jit_compile(out->code, PCRE2_JIT_COMPLETE);
  return true;
}

/* Per thread, created on first use: matching must not share state across threads. */
static __thread pcre2_match_data *thread_match;

static pcre2_match_data *match_data(void) {
  if (!thread_match) thread_match = pcre2_match_data_create(32, NULL);
  return thread_match;
}

bool pattern_search(const struct pattern *pattern, const uint8_t *subject, uint32_t len) {
  pcre2_match_data *data = match_data();
  return data && pcre2_match(pattern->code, subject, len, 0, 0, data, NULL) >= 0;
}

long pattern_replace(const struct pattern *pattern, const char *subject, size_t len, const uint8_t *replacement,
                     uint32_t rlen, char *out, size_t cap) {
  pcre2_match_data *data = match_data();
  PCRE2_SIZE out_len = cap;
  if (!data) return -1;
  int rc = pcre2_substitute(pattern->code, (PCRE2_SPTR)subject, len, 0, 0, data, NULL, replacement, rlen,
                            (PCRE2_UCHAR *)out, &out_len);
  return rc < 1 || out_len >= cap ? -1 : (long)out_len;
}

#endif
