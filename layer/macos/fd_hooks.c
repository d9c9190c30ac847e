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

#include "../src/hooks/fd_hooks.h"
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

LAYER_EXPORT int close(int fd) { return fd_hook_close(REAL_FD(close), fd); }

LAYER_EXPORT int dup(int fd) { return fd_hook_dup(REAL_FD(dup), fd); }

LAYER_EXPORT int dup2(int oldfd, int newfd) { return fd_hook_dup2(REAL_FD(dup2), oldfd, newfd); }

LAYER_EXPORT int fcntl(int fd, int cmd, ...) {
  va_list args;
  va_start(args, cmd);
  void *arg = va_arg(args, void *);
  va_end(args);
  int rc = REAL_FD(fcntl)(fd, cmd, arg);
  if (rc >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)) fd_hook_duplicated(fd, rc, false);
  return rc;
}
