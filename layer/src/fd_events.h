/*
 * Close and duplicate notifications for every per-fd table in the layer (remote files, sockets).
 *
 * The close/dup/dup2/dup3/fcntl(F_DUPFD*) hooks live in one place and call these; each table
 * subscribes once from the constructor. Calls are lock-free and allocation-free, so they are safe
 * wherever the hooks run.
 */
#ifndef MIRRORD_LAYER_FD_EVENTS_H
#define MIRRORD_LAYER_FD_EVENTS_H

#include <stdbool.h>

struct fd_events_listener {
  /* `fd` was closed (or replaced by dup2/dup3): forget what is known about it. */
  void (*closed)(int fd);
  /* `to` is now a duplicate of `from` (dup, dup2, dup3, F_DUPFD, F_DUPFD_CLOEXEC). */
  void (*duplicated)(int from, int to);
};

/* Adds a listener (static storage, lives for the process); false when the fixed table is full. */
bool fd_events_subscribe(const struct fd_events_listener *listener);

void fd_events_closed(int fd);
void fd_events_duplicated(int from, int to);

#endif
