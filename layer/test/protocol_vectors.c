/*
 * Checks the C codec against the shared vectors. For every .bin given on the command line: decode it,
 * print the decoded frame as one JSON line (the TS test compares it with the vector's .json), then
 * re-encode it and require the identical bytes (so the C encoder reproduces every vector too).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp_dump.h"
#include "mp_protocol.h"
#include "protocol_support.h"

int main(int argc, char **argv) {
  int failures = 0;
  for (int i = 1; i < argc; i++) {
    size_t len = 0;
    uint8_t *bin = read_file(argv[i], &len);
    size_t arena_cap = mp_arena_bound(len);
    mp_arena arena = {malloc(arena_cap), arena_cap, 0};
    mp_message msg;
    size_t err_offset = 0;
    mp_status st = mp_decode_frame(bin, len, MP_MAX_FRAME_SIZE, &arena, &msg, &err_offset);
    printf("{\"file\":\"%s\",\"status\":\"%s\",\"offset\":%zu", argv[i], mp_status_name(st), err_offset);
    if (st == MP_OK) {
      uint8_t *out = malloc(len);
      size_t written = 0, measured = 0;
      mp_status enc = mp_encode_frame(&msg, out, len, MP_MAX_FRAME_SIZE, &written);
      mp_status measure = mp_encode_frame(&msg, NULL, 0, MP_MAX_FRAME_SIZE, &measured);
      int same = enc == MP_OK && measure == MP_OK && written == len && measured == len && memcmp(out, bin, len) == 0;
      failures += !same;
      printf(",\"reencoded\":%s,\"frame\":", same ? "true" : "false");
      mp_dump_frame(stdout, &msg);
      free(out);
    } else {
      failures++;
    }
    puts("}");
    free(arena.base);
    free(bin);
  }
  return failures == 0 ? 0 : 1;
}
