#include "socket_table.h"

#include <stdatomic.h>
#include <string.h>

#include "fd_events.h"
#include "sys.h"

#define CHUNK_FDS 256
#define CHUNKS (SOCKET_TABLE_SIZE / CHUNK_FDS)
/* A reader gives up (reports "not tracked") after this many busy rounds: only a signal handler that
 * interrupted a writer of the same fd on its own thread can see the record busy for long. */
#define READ_ATTEMPTS 1000

struct slot {
  /* Even: stable. Odd: a writer is changing the record. */
  atomic_uint seq;
  bool used;
  struct socket_info info;
};

static _Atomic(struct slot *) chunks[CHUNKS];

static struct slot *slot_for(int fd, bool create) {
  if (fd < 0 || fd >= SOCKET_TABLE_SIZE) return NULL;
  _Atomic(struct slot *) *chunk = &chunks[fd / CHUNK_FDS];
  struct slot *slots = atomic_load_explicit(chunk, memory_order_acquire);
  if (!slots && create) {
    void *fresh = sys_map_zeroed(sizeof(struct slot) * CHUNK_FDS);
    if (!fresh) return NULL;
    struct slot *expected = NULL;
    if (atomic_compare_exchange_strong(chunk, &expected, (struct slot *)fresh)) {
      slots = fresh;
    } else {
      sys_unmap(fresh, sizeof(struct slot) * CHUNK_FDS);
      slots = expected;
    }
  }
  return slots ? &slots[fd % CHUNK_FDS] : NULL;
}

static void write_begin(struct slot *slot) {
  for (;;) {
    unsigned seq = atomic_load_explicit(&slot->seq, memory_order_relaxed);
    if (!(seq & 1u) && atomic_compare_exchange_weak(&slot->seq, &seq, seq + 1)) return;
  }
}

static void write_end(struct slot *slot) { atomic_fetch_add_explicit(&slot->seq, 1, memory_order_release); }

static void slot_store(struct slot *slot, const struct socket_info *info) {
  write_begin(slot);
  slot->used = info != NULL;
  if (info) slot->info = *info;
  write_end(slot);
}

bool socket_table_put(int fd, const struct socket_info *info) {
  struct slot *slot = slot_for(fd, true);
  if (!slot) return false;
  slot_store(slot, info);
  return true;
}

bool socket_table_get(int fd, struct socket_info *out) {
  struct slot *slot = slot_for(fd, false);
  if (!slot) return false;
  for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
    unsigned before = atomic_load_explicit(&slot->seq, memory_order_acquire);
    if (before & 1u) continue;
    bool used = slot->used;
    if (used) memcpy(out, &slot->info, sizeof(*out));
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&slot->seq, memory_order_relaxed) == before) return used;
  }
  return false;
}

void socket_table_forget(int fd) {
  struct slot *slot = slot_for(fd, false);
  if (slot && slot->used) slot_store(slot, NULL);
}

int socket_table_find(bool (*match)(int fd, const struct socket_info *info, void *ctx), void *ctx) {
  for (int chunk = 0; chunk < CHUNKS; chunk++) {
    if (!atomic_load_explicit(&chunks[chunk], memory_order_acquire)) continue;
    for (int fd = chunk * CHUNK_FDS; fd < (chunk + 1) * CHUNK_FDS; fd++) {
      struct socket_info info;
      if (socket_table_get(fd, &info) && match(fd, &info, ctx)) return fd;
    }
  }
  return -1;
}

static void on_closed(int fd) { socket_table_forget(fd); }

static void on_duplicated(int from, int to) {
  struct socket_info info;
  if (socket_table_get(from, &info))
    socket_table_put(to, &info);
  else
    socket_table_forget(to);
}

/* Subscribed at load time, independent of whether mirrord is active: an inactive layer puts nothing in
 * the table, so the listener costs one atomic load per close. */
__attribute__((constructor)) static void socket_table_follow_fd_events(void) {
  static const struct fd_events_listener listener = {on_closed, on_duplicated};
  fd_events_subscribe(&listener);
}
