/*
 * The few lines every layer unit-check program shares: CHECK counts a check and prints a failed one;
 * unit_check_report() prints `checks=<n> failed=<m>` (what the bun test reads) and gives the exit status.
 */
#ifndef MIRRORD_LAYER_TEST_UNIT_CHECK_H
#define MIRRORD_LAYER_TEST_UNIT_CHECK_H

#include <stdio.h>

static int checks, failed;

#define CHECK(what, cond)                              \
  do {                                                 \
    checks++;                                          \
    if (!(cond)) {                                     \
      failed++;                                        \
      printf("FAILED %s (line %d)\n", what, __LINE__); \
    }                                                  \
  } while (0)

static inline int unit_check_report(void) {
  printf("checks=%d failed=%d\n", checks, failed);
  return failed ? 1 : 0;
}

#endif
