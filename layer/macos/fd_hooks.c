/*
 * close / dup / dup2 / fcntl(F_DUPFD, F_DUPFD_CLOEXEC) on macOS: every fd change is announced to
 * fd_events, so the socket tables (socket_table, incoming listeners, UDP routes) follow closes and
 * duplicates. On Linux these hooks are hooks/fs_open.c's, which also serve the remote files; the macOS
 * build has no file features yet (macos.mk LINUX_ONLY), so this file announces and nothing more.
 * Built with macos.mk's renames: `close` here is the hook mirrord_hook_close, libSystem's is reached
 * through dlsym (strings are not renamed).
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <unistd.h>

#include "../src/fd_events.h"
#include "../src/layer.h"

static struct {
  int (*close)(int fd);
  int (*dup)(int fd);
  int (*dup2)(int oldfd, int newfd);
  int (*fcntl)(int fd, int cmd, ...);
} real_fd;

#define RESOLVE(name) real_fd.name = (__typeof__(real_fd.name))dlsym(RTLD_NEXT, #name)

static void real_fd_resolve(void) {
  RESOLVE(close);
  RESOLVE(dup);
  RESOLVE(dup2);
  RESOLVE(fcntl);
}

/* Resolved by the constructor; a hook that runs first (another image's initializer) resolves on the spot. */
#define REAL_FD(name) (real_fd.name ? real_fd.name : (real_fd_resolve(), real_fd.name))

__attribute__((constructor)) static void fd_hooks_init(void) { real_fd_resolve(); }

/* Announced before the close: once the kernel frees the number, another thread may get it and must not
 * lose its new record to this close. */
LAYER_EXPORT int close(int fd) {
  fd_events_closed(fd);
  return REAL_FD(close)(fd);
}

/* After a successful dup into `newfd` (a dup2 target was closed by the kernel first). */
static void duplicated(int oldfd, int newfd, bool replaced) {
  if (newfd < 0 || oldfd == newfd) return;
  if (replaced) fd_events_closed(newfd);
  fd_events_duplicated(oldfd, newfd);
}

LAYER_EXPORT int dup(int fd) {
  int newfd = REAL_FD(dup)(fd);
  duplicated(fd, newfd, false);
  return newfd;
}

LAYER_EXPORT int dup2(int oldfd, int newfd) {
  int rc = REAL_FD(dup2)(oldfd, newfd);
  duplicated(oldfd, rc, true);
  return rc;
}

LAYER_EXPORT int fcntl(int fd, int cmd, ...) {
  va_list args;
  va_start(args, cmd);
  void *arg = va_arg(args, void *);
  va_end(args);
  int rc = REAL_FD(fcntl)(fd, cmd, arg);
  if (rc >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)) duplicated(fd, rc, false);
  return rc;
}
