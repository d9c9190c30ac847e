#include "fdtable.h"

#include <errno.h>
#include <stdatomic.h>

#include "fd_events.h"
#include "guard.h"

static _Atomic(struct remote_file *) slots[FDTABLE_SIZE];

struct remote_file *fdtable_get(int fd) {
  if (fd < 0 || fd >= FDTABLE_SIZE) return NULL;
  return atomic_load_explicit(&slots[fd], memory_order_acquire);
}

bool fdtable_put(int fd, struct remote_file *file) {
  if (fd < 0 || fd >= FDTABLE_SIZE) return false;
  struct remote_file *previous = atomic_exchange(&slots[fd], file);
  if (previous) remote_file_unref(previous);
  return true;
}

void fdtable_forget(int fd) {
  if (fd < 0 || fd >= FDTABLE_SIZE) return;
  struct remote_file *previous = atomic_exchange(&slots[fd], NULL);
  if (previous) remote_file_unref(previous);
}

/* The remote close a forget may cause runs inside the guard, so the layer's own I/O is never hooked. */
static void on_closed(int fd) {
  if (!fdtable_get(fd)) return;
  int saved_errno = errno;
  bool entered = guard_enter();
  fdtable_forget(fd);
  if (entered) guard_leave();
  errno = saved_errno;
}

static void on_duplicated(int from, int to) {
  struct remote_file *file = fdtable_get(from);
  if (!file && !fdtable_get(to)) return;
  int saved_errno = errno;
  bool entered = guard_enter();
  if (file) {
    remote_file_ref(file);
    if (!fdtable_put(to, file)) remote_file_unref(file);
  } else {
    fdtable_forget(to);
  }
  if (entered) guard_leave();
  errno = saved_errno;
}

void fdtable_follow_fd_events(void) {
  static const struct fd_events_listener listener = {on_closed, on_duplicated};
  fd_events_subscribe(&listener);
}
