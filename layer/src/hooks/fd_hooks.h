/*
 * The bodies of the close / dup / dup2 hooks and the dup bookkeeping (hooks/fs_open.c, on Linux and
 * macOS): every fd change is announced to fd_events around the real call, so each per-fd table (remote
 * files, sockets) follows closes and duplicates.
 */
#ifndef MIRRORD_LAYER_HOOKS_FD_HOOKS_H
#define MIRRORD_LAYER_HOOKS_FD_HOOKS_H

#include <stdbool.h>

#include "../fd_events.h"

/* Announced before the close: once the kernel frees the number, another thread may get it from open()
 * and must not lose its new entry to this close. */
static inline int fd_hook_close(int (*real_close)(int), int fd) {
  fd_events_closed(fd);
  return real_close(fd);
}

/* After a successful dup into `newfd` (a dup2/dup3 target was closed by the kernel first). */
static inline void fd_hook_duplicated(int oldfd, int newfd, bool replaced) {
  if (newfd < 0 || oldfd == newfd) return;
  if (replaced) fd_events_closed(newfd);
  fd_events_duplicated(oldfd, newfd);
}

static inline int fd_hook_dup(int (*real_dup)(int), int fd) {
  int newfd = real_dup(fd);
  fd_hook_duplicated(fd, newfd, false);
  return newfd;
}

static inline int fd_hook_dup2(int (*real_dup2)(int, int), int oldfd, int newfd) {
  int rc = real_dup2(oldfd, newfd);
  fd_hook_duplicated(oldfd, rc, true);
  return rc;
}

#endif
