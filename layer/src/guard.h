/*
 * Reentrancy guard and errno discipline shared by every hook.
 *
 * A hook that is entered while the same thread is already inside the layer (the layer's own I/O, a
 * signal handler interrupting a hook, libc calling an exported name internally) goes straight to libc.
 */
#ifndef MIRRORD_LAYER_GUARD_H
#define MIRRORD_LAYER_GUARD_H

#include <stdbool.h>

extern __thread int layer_depth;

/* Enters the layer; false means "already inside: bypass to the real function". Async-signal-safe. */
static inline bool guard_enter(void) {
  if (layer_depth > 0) return false;
  layer_depth++;
  return true;
}

static inline void guard_leave(void) { layer_depth--; }

#endif
