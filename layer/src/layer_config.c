#include "layer_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

/* Standard or URL-safe base64, padding optional. Returns the decoded length or -1. */
static long base64_decode(const char *text, uint8_t *out, size_t cap) {
  size_t len = strlen(text);
  while (len > 0 && text[len - 1] == '=') len--;
  size_t written = 0;
  unsigned bits = 0, acc = 0;
  for (size_t i = 0; i < len; i++) {
    int v = base64_value(text[i]);
    if (v < 0) return -1;
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (written >= cap) return -1;
      out[written++] = (uint8_t)(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  return (long)written;
}

bool layer_config_load(layer_config *out, char *problem, size_t problem_len) {
  const char *text = getenv("MIRRORD_LAYER_CONFIG");
  if (!text || !text[0]) {
    snprintf(problem, problem_len, "MIRRORD_LAYER_CONFIG is not set");
    return false;
  }
  size_t cap = strlen(text) / 4 * 3 + 3;
  if (cap > MP_MAX_FRAME_SIZE) {
    snprintf(problem, problem_len, "MIRRORD_LAYER_CONFIG is larger than a protocol frame");
    return false;
  }
  /* Kept for the life of the process: the decoded config points into it. */
  uint8_t *frame = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  long len = frame == MAP_FAILED ? -1 : base64_decode(text, frame, cap);
  if (len < 0) {
    snprintf(problem, problem_len, "MIRRORD_LAYER_CONFIG is not valid base64");
    return false;
  }
  size_t arena_cap = mp_arena_bound((size_t)len);
  uint8_t *arena_mem = mmap(NULL, arena_cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (arena_mem == MAP_FAILED) {
    snprintf(problem, problem_len, "out of memory decoding MIRRORD_LAYER_CONFIG");
    return false;
  }
  mp_arena arena = {arena_mem, arena_cap, 0};
  mp_message message;
  size_t offset = 0;
  mp_status status = mp_decode_frame(frame, (size_t)len, MP_MAX_FRAME_SIZE, &arena, &message, &offset);
  if (status != MP_OK || message.tag != MP_MSG_LAYER_CONFIG) {
    snprintf(problem, problem_len, "MIRRORD_LAYER_CONFIG does not hold a LayerConfig (%s at byte %zu)",
             status == MP_OK ? "other message" : mp_status_name(status), offset);
    return false;
  }
  *out = message.u.layer_config;
  return true;
}
