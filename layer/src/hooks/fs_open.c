/*
 * open family, close, the dup family, fcntl and mmap (layer.md §1f, §2). A remote open returns a real
 * local placeholder fd; duplicates share its remote file; the last close closes the remote handle.
 * close/dup/dup2/fcntl announce every fd, file or socket, to fd_events, on Linux and macOS alike.
 */
#include <stdarg.h>
#include <string.h>

#include "../fs_ops.h"
#include "../fs_platform.h"
#include "../layer.h"
#include "../real_fs.h"
#include "../remote_file.h"
#include "fd_hooks.h"

/* The open itself; `-1 - INT_MAX` (never a valid result) means "not ours: call the real function". */
#define OPEN_BYPASS INT_MIN

static int open_routed(int dirfd, const char *path, int flags, mode_t mode, struct fs_path *routed) {
  routed->local = path;
  if (!path || !fs_enter()) return OPEN_BYPASS;
  int saved_errno = errno;
  int result = OPEN_BYPASS;
  struct remote_file *dir = path[0] != '/' && dirfd != AT_FDCWD ? fdtable_get(dirfd) : NULL;
  if (dir) {
    result = fs_open_remote(dir, path, flags, mode);
  } else if (path[0] == '/' || dirfd == AT_FDCWD) {
    fs_route_path(routed, path, fs_flags_write(flags));
    if (routed->route == FS_ROUTE_NOT_FOUND) result = -ENOENT;
    else if (routed->route == FS_ROUTE_REMOTE) result = fs_open_remote(NULL, routed->resolved, flags, mode);
  }
  fs_leave();
  errno = saved_errno;
  return result;
}

static mode_t mode_arg(int flags, va_list args) {
  return fs_platform_takes_mode(flags) ? (mode_t)va_arg(args, int) : 0;
}

#define OPEN_HOOK(name)                                                                \
  LAYER_EXPORT int name(const char *path, int flags, ...) {                            \
    va_list args;                                                                      \
    va_start(args, flags);                                                             \
    mode_t mode = mode_arg(flags, args);                                               \
    va_end(args);                                                                      \
    struct fs_path routed;                                                             \
    int fd = open_routed(AT_FDCWD, path, flags, mode, &routed);                        \
    return fd != OPEN_BYPASS ? (int)fs_result(fd) : REAL_FS(name)(routed.local, flags, mode); \
  }
OPEN_HOOK(open)

#define OPENAT_HOOK(name)                                                                     \
  LAYER_EXPORT int name(int dirfd, const char *path, int flags, ...) {                        \
    va_list args;                                                                             \
    va_start(args, flags);                                                                    \
    mode_t mode = mode_arg(flags, args);                                                      \
    va_end(args);                                                                             \
    struct fs_path routed;                                                                    \
    int fd = open_routed(dirfd, path, flags, mode, &routed);                                  \
    if (fd != OPEN_BYPASS) return (int)fs_result(fd);                                         \
    return REAL_FS(name)(routed.local == path ? dirfd : AT_FDCWD, routed.local, flags, mode); \
  }
OPENAT_HOOK(openat)

#define CREAT_HOOK(name)                                                                        \
  LAYER_EXPORT int name(const char *path, mode_t mode) {                                        \
    struct fs_path routed;                                                                      \
    int flags = O_CREAT | O_WRONLY | O_TRUNC;                                                   \
    int fd = open_routed(AT_FDCWD, path, flags, mode, &routed);                                 \
    return fd != OPEN_BYPASS ? (int)fs_result(fd) : REAL_FS(name)(routed.local, mode);          \
  }
CREAT_HOOK(creat)

/* Every fd, remote or not, is announced to fd_events (one atomic load per table when nothing is known
 * about it). */
LAYER_EXPORT int close(int fd) { return fd_hook_close(REAL_FS(close), fd); }

LAYER_EXPORT int dup(int fd) { return fd_hook_dup(REAL_FS(dup), fd); }

LAYER_EXPORT int dup2(int oldfd, int newfd) { return fd_hook_dup2(REAL_FS(dup2), oldfd, newfd); }

/* F_GETFL reports the flags the program opened the remote file with; F_SETFL keeps them current. */
static int fcntl_common(int (*real_fn)(int, int, ...), int fd, int cmd, void *arg) {
  int rc = real_fn(fd, cmd, arg);
  if (rc < 0) return rc;
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: fd_hook_duplicated(fd, rc, false); break;
    case F_GETFL: {
      struct remote_file *file = fs_remote_fd(fd);
      if (file) rc = file->flags;
      break;
    }
    case F_SETFL: {
      struct remote_file *file = fs_remote_fd(fd);
      int settable = O_APPEND | O_NONBLOCK;
      if (file) file->flags = (file->flags & ~settable) | ((int)(long)arg & settable);
      break;
    }
    default: break;
  }
  return rc;
}

LAYER_EXPORT int fcntl(int fd, int cmd, ...) {
  va_list args;
  va_start(args, cmd);
  void *arg = va_arg(args, void *);
  va_end(args);
  return fcntl_common(REAL_FS(fcntl), fd, cmd, arg);
}

/*
 * mmap of a remote file: a private mapping is an anonymous one filled with the file's bytes (what the
 * program reads is the pod's file); a shared mapping cannot follow remote writes, so it fails ENODEV.
 */
static void *mmap_remote(struct remote_file *file, void *addr, size_t len, int prot, int flags, off_t offset) {
  if (flags & MAP_SHARED) {
    errno = ENODEV;
    return MAP_FAILED;
  }
  int saved_errno = errno;
  void *map = REAL_FS(mmap)(addr, len, prot | PROT_WRITE, (flags & ~MAP_FILE) | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return map;
  for (size_t done = 0; done < len;) {
    ssize_t got = remote_file_pread(file, (char *)map + done, len - done, (uint64_t)offset + done);
    if (got < 0) {
      munmap(map, len);
      errno = (int)-got;
      return MAP_FAILED;
    }
    if (got == 0) break; /* past the end: the rest stays zero, as for a file mapping */
    done += (size_t)got;
  }
  if (!(prot & PROT_WRITE)) mprotect(map, len, prot);
  errno = saved_errno;
  return map;
}

#define MMAP_HOOK(name)                                                                         \
  LAYER_EXPORT void *name(void *addr, size_t len, int prot, int flags, int fd, off_t offset) {  \
    struct remote_file *file = (flags & MAP_ANONYMOUS) ? NULL : fs_remote_fd(fd);               \
    if (!file || !guard_enter()) return REAL_FS(name)(addr, len, prot, flags, fd, offset);      \
    void *map = mmap_remote(file, addr, len, prot, flags, offset);                              \
    guard_leave();                                                                              \
    return map;                                                                                 \
  }
MMAP_HOOK(mmap)

/* glibc's own entry points: the *64 twins, the fortified opens, dup3, fcntl64. */
#ifdef __GLIBC__
OPEN_HOOK(open64)
OPENAT_HOOK(openat64)
CREAT_HOOK(creat64)
MMAP_HOOK(mmap64)

/* _FORTIFY_SOURCE entry points: no mode argument (the compiler checked O_CREAT has none). */
#define OPEN2_HOOK(name)                                                              \
  LAYER_EXPORT int name(const char *path, int flags) {                                \
    struct fs_path routed;                                                            \
    int fd = open_routed(AT_FDCWD, path, flags, 0, &routed);                          \
    return fd != OPEN_BYPASS ? (int)fs_result(fd) : REAL_FS(name)(routed.local, flags); \
  }
OPEN2_HOOK(__open_2)
OPEN2_HOOK(__open64_2)

#define OPENAT2_HOOK(name)                                                                          \
  LAYER_EXPORT int name(int dirfd, const char *path, int flags) {                                   \
    struct fs_path routed;                                                                          \
    int fd = open_routed(dirfd, path, flags, 0, &routed);                                           \
    if (fd != OPEN_BYPASS) return (int)fs_result(fd);                                               \
    return REAL_FS(name)(routed.local == path ? dirfd : AT_FDCWD, routed.local, flags);             \
  }
OPENAT2_HOOK(__openat_2)
OPENAT2_HOOK(__openat64_2)

LAYER_EXPORT int dup3(int oldfd, int newfd, int flags) {
  int rc = REAL_FS(dup3)(oldfd, newfd, flags);
  fd_hook_duplicated(oldfd, rc, true);
  return rc;
}

LAYER_EXPORT int fcntl64(int fd, int cmd, ...) {
  va_list args;
  va_start(args, cmd);
  void *arg = va_arg(args, void *);
  va_end(args);
  return fcntl_common(REAL_FS(fcntl64), fd, cmd, arg);
}
#endif
