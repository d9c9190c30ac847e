/*
 * Fuzzes the C decoder (build with -fsanitize=address,undefined): mutated vectors and random bytes,
 * produced by the exact twin of test/protocol/mutate.ts. Every accepted frame must re-encode to the
 * identical bytes, and the arena sized by mp_arena_bound must always suffice. Prints one JSON summary
 * line with a digest of every verdict so the TS test can require the TS decoder to agree frame by frame.
 *
 * usage: protocol_fuzz <iterations> <seed> <vector.bin>...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp_protocol.h"
#include "protocol_support.h"

static uint32_t rng_state;

static uint32_t rng_next(void) {
  uint32_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return rng_state = x;
}

static uint32_t below(uint32_t n) { return rng_next() % n; }

static void put_u32(uint8_t *buf, size_t at, uint32_t v) {
  for (unsigned i = 0; i < 4; i++) buf[at + i] = (uint8_t)(v >> (8 * i));
}

typedef struct vector {
  uint8_t *bytes;
  size_t len;
} vector;

/* Twin of Mutator.next() in test/protocol/mutate.ts: same RNG calls in the same order. */
static size_t mutate(const vector *vs, uint32_t count, uint8_t *buf) {
  const vector *base = &vs[below(count)];
  memcpy(buf, base->bytes, base->len);
  size_t len = base->len;
  switch (below(8)) {
  case 0:
    for (uint32_t k = 1 + below(4); k > 0; k--) {
      size_t at = below((uint32_t)len);
      buf[at] ^= (uint8_t)(1u << below(8));
    }
    break;
  case 1:
    for (uint32_t k = 1 + below(4); k > 0; k--) {
      size_t at = below((uint32_t)len);
      buf[at] = (uint8_t)below(256);
    }
    break;
  case 2:
    len = below((uint32_t)len);
    break;
  case 3:
    for (uint32_t k = 1 + below(16); k > 0; k--) buf[len++] = (uint8_t)below(256);
    break;
  case 4: {
    uint32_t choice = below(4), lie;
    if (choice == 0) lie = (uint32_t)((int64_t)len - 4 + (int64_t)below(9) - 4);
    else if (choice == 1) lie = rng_next();
    else if (choice == 2) lie = 0x1000000u + below(16);
    else lie = below(16);
    put_u32(buf, 0, lie);
    break;
  }
  case 5: {
    if (len < 18) break;
    size_t at = 14 + below((uint32_t)(len - 17));
    uint32_t choice = below(3);
    put_u32(buf, at, choice == 0 ? rng_next() : choice == 1 ? below(64) : 0xffffffffu);
    break;
  }
  case 6: {
    const vector *other = &vs[below(count)];
    size_t cut = below((uint32_t)len + 1);
    size_t from = below((uint32_t)other->len + 1);
    memcpy(buf + cut, other->bytes + from, other->len - from);
    len = cut + other->len - from;
    break;
  }
  default: {
    len = below(64);
    for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)below(256);
    if (len >= 6 && below(2) == 0) {
      put_u32(buf, 0, (uint32_t)(len - 4));
      const vector *donor = &vs[below(count)];
      buf[4] = donor->bytes[4];
      buf[5] = donor->bytes[5];
    }
  }
  }
  return len;
}

static uint32_t fnv_line(uint32_t hash, const char *verdict, size_t offset) {
  char line[64];
  int n = snprintf(line, sizeof line, "%s:%zu\n", verdict, offset);
  for (int i = 0; i < n; i++) hash = (hash ^ (uint8_t)line[i]) * 0x01000193u;
  return hash;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s <iterations> <seed> <vector.bin>...\n", argv[0]);
    return 2;
  }
  unsigned long iterations = strtoul(argv[1], NULL, 10);
  rng_state = (uint32_t)strtoul(argv[2], NULL, 10);
  uint32_t count = (uint32_t)(argc - 3);
  vector *vs = calloc(count, sizeof *vs);
  size_t max_len = 0;
  for (uint32_t i = 0; i < count; i++) {
    vs[i].bytes = read_file(argv[i + 3], &vs[i].len);
    if (vs[i].len > max_len) max_len = vs[i].len;
  }
  size_t cap = 2 * max_len + 80;
  uint8_t *buf = malloc(cap), *reencoded = malloc(cap);
  size_t arena_cap = mp_arena_bound(cap);
  mp_arena arena = {malloc(arena_cap), arena_cap, 0};
  unsigned long counts[MP_ERR_NO_SPACE + 1] = {0};
  unsigned long reencode_failures = 0;
  uint32_t digest = 0x811c9dc5u;
  for (unsigned long it = 0; it < iterations; it++) {
    size_t len = mutate(vs, count, buf);
    /* The decoder must not read past len: give ASan an exact-size copy to police it. */
    uint8_t *frame = malloc(len ? len : 1);
    memcpy(frame, buf, len);
    mp_message msg;
    size_t err_offset = 0;
    arena.used = 0;
    mp_status st = mp_decode_frame(frame, len, MP_MAX_FRAME_SIZE, &arena, &msg, &err_offset);
    counts[st]++;
    digest = fnv_line(digest, mp_status_name(st), st == MP_OK ? 0 : err_offset);
    if (st == MP_OK) {
      size_t written = 0;
      if (mp_encode_frame(&msg, reencoded, cap, MP_MAX_FRAME_SIZE, &written) != MP_OK || written != len ||
          memcmp(reencoded, frame, len) != 0)
        reencode_failures++;
    }
    free(frame);
  }
  printf("{\"frames\":%lu,\"digest\":\"%08x\",\"reencodeFailures\":%lu,\"counts\":{", iterations, digest,
         reencode_failures);
  for (int s = 0; s <= MP_ERR_NO_SPACE; s++) printf("%s\"%s\":%lu", s ? "," : "", mp_status_name((mp_status)s), counts[s]);
  puts("}}");
  for (uint32_t i = 0; i < count; i++) free(vs[i].bytes);
  free(vs);
  free(buf);
  free(reencoded);
  free(arena.base);
  return reencode_failures == 0 && counts[MP_ERR_NO_SPACE] == 0 ? 0 : 1;
}
