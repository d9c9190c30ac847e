#include "fd_events.h"

#include <stdatomic.h>
#include <stddef.h>

#define MAX_LISTENERS 8

static const struct fd_events_listener *_Atomic listeners[MAX_LISTENERS];

bool fd_events_subscribe(const struct fd_events_listener *listener) {
  for (size_t i = 0; i < MAX_LISTENERS; i++) {
    const struct fd_events_listener *empty = NULL;
    if (atomic_compare_exchange_strong(&listeners[i], &empty, listener)) return true;
  }
  return false;
}

void fd_events_closed(int fd) {
  for (size_t i = 0; i < MAX_LISTENERS; i++) {
    const struct fd_events_listener *listener = atomic_load_explicit(&listeners[i], memory_order_acquire);
    if (!listener) return;
    if (listener->closed) listener->closed(fd);
  }
}

void fd_events_duplicated(int from, int to) {
  for (size_t i = 0; i < MAX_LISTENERS; i++) {
    const struct fd_events_listener *listener = atomic_load_explicit(&listeners[i], memory_order_acquire);
    if (!listener) return;
    if (listener->duplicated) listener->duplicated(from, to);
  }
}
