/* Test helpers shared by the protocol C test programs: reading vector files. */
#ifndef PROTOCOL_SUPPORT_H
#define PROTOCOL_SUPPORT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Reads a whole file into a malloc'd buffer; exits with a message on failure. */
static inline uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(2);
  }
  size_t cap = 4096, n = 0;
  uint8_t *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  if (!buf) {
    fprintf(stderr, "out of memory reading %s\n", path);
    exit(2);
  }
  *len = n;
  return buf;
}

#endif
