/*
 * stdio on remote files. glibc's fopen and its FILE buffers call libc's private open/read/write,
 * which no interposition sees, so a remote file gets a FILE whose callbacks go through the hooked fd
 * functions (fs_platform_stream: fopencookie, or funopen on macOS, where it spares relying on how
 * libSystem's stdio reaches open/read). fileno() of such a FILE is -1.
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "../fs_ops.h"
#include "../fs_platform.h"
#include "../layer.h"
#include "../real_fs.h"
#include "../remote_fs.h"

/* fopen's mode string as open(2) flags; -1 when it is not a valid mode. */
static int mode_flags(const char *mode) {
  int flags;
  switch (mode[0]) {
    case 'r': flags = O_RDONLY; break;
    case 'w': flags = O_WRONLY | O_CREAT | O_TRUNC; break;
    case 'a': flags = O_WRONLY | O_CREAT | O_APPEND; break;
    default: return -1;
  }
  for (const char *c = mode + 1; *c && *c != ','; c++) {
    if (*c == '+') flags = (flags & ~O_ACCMODE) | O_RDWR;
    else if (*c == 'e') flags |= O_CLOEXEC;
    else if (*c == 'x') flags |= O_EXCL;
  }
  return flags;
}

#define FOPEN_HOOK(name)                                                        \
  LAYER_EXPORT FILE *name(const char *path, const char *mode) {                 \
    int flags = path && mode ? mode_flags(mode) : -1;                           \
    if (flags < 0 || !fs_policy_active()) return REAL_FS(name)(path, mode);     \
    int fd = open(path, flags, 0666);                                           \
    if (fd < 0) return NULL;                                                    \
    FILE *stream = fdtable_get(fd) ? fs_platform_stream(fd, mode) : REAL_FS(fdopen)(fd, mode); \
    if (!stream) {                                                              \
      int error = errno;                                                        \
      close(fd);                                                                \
      errno = error;                                                            \
    }                                                                           \
    return stream;                                                              \
  }
FOPEN_HOOK(fopen)

LAYER_EXPORT FILE *fdopen(int fd, const char *mode) {
  if (!fs_remote_fd(fd)) return REAL_FS(fdopen)(fd, mode);
  return fs_platform_stream(fd, mode);
}

/* glibc's own entry points: fopen64, and freopen onto a remote path (a memfd snapshot reopened through
 * /proc/self/fd; on macOS freopen's own open goes through the interposed open instead). */
#ifdef __GLIBC__
FOPEN_HOOK(fopen64)

/* A memfd holding the bytes of the pod file `pod_path` (read to its end), or -errno. */
static int snapshot(const char *pod_path, int flags) {
  uint64_t handle;
  int rc = remote_open(false, 0, pod_path, flags & ~O_CLOEXEC, 0, &handle);
  if (rc < 0) return rc;
  int copy = memfd_create("mirrord-remote-file", MFD_CLOEXEC);
  if (copy < 0) rc = -errno;
  char chunk[16384];
  for (uint64_t at = 0; rc >= 0;) {
    ssize_t got = remote_read_at(handle, chunk, sizeof(chunk), at);
    if (got <= 0) {
      rc = (int)got;
      break;
    }
    for (ssize_t put = 0, n; put < got; put += n)
      if ((n = REAL_FS(write)(copy, chunk + put, (size_t)(got - put))) < 0) {
        rc = -errno;
        break;
      }
    at += (uint64_t)got;
  }
  remote_close(handle);
  if (rc < 0 && copy >= 0) REAL_FS(close)(copy);
  return rc < 0 ? rc : copy;
}

/*
 * freopen onto a remote path. glibc reopens the same FILE with its private open, and a FILE cannot
 * become a cookie stream in place, so a read-only reopen is given a snapshot: the pod file's bytes in
 * a memfd the stream is reopened on (fileno, fstat and seeking work; later changes in the pod are not
 * seen). Reopening a remote path for writing fails with ENOTSUP rather than write the laptop's file.
 */
#define FREOPEN_HOOK(name)                                                                     \
  LAYER_EXPORT FILE *name(const char *path, const char *mode, FILE *stream) {                  \
    int flags = path && mode ? mode_flags(mode) : -1;                                          \
    if (flags < 0 || !fs_enter()) return REAL_FS(name)(path, mode, stream);                    \
    int saved_errno = errno;                                                                   \
    struct fs_path routed;                                                                     \
    fs_route_path(&routed, path, fs_flags_write(flags));                                       \
    int copy = routed.route == FS_ROUTE_NOT_FOUND ? -ENOENT : 0;                               \
    if (routed.route == FS_ROUTE_REMOTE)                                                       \
      copy = fs_flags_write(flags) ? -ENOTSUP : snapshot(routed.resolved, flags);              \
    fs_leave();                                                                                \
    errno = saved_errno;                                                                       \
    if (routed.route == FS_ROUTE_LOCAL) return REAL_FS(name)(routed.local, mode, stream);      \
    if (copy < 0) {                                                                            \
      fclose(stream); /* as a failed freopen leaves it */                                      \
      errno = -copy;                                                                           \
      return NULL;                                                                             \
    }                                                                                          \
    char self[64];                                                                             \
    snprintf(self, sizeof(self), "/proc/self/fd/%d", copy);                                    \
    FILE *reopened = REAL_FS(name)(self, mode, stream);                                        \
    int error = errno;                                                                         \
    REAL_FS(close)(copy);                                                                      \
    errno = reopened ? saved_errno : error;                                                    \
    return reopened;                                                                           \
  }
FREOPEN_HOOK(freopen)
FREOPEN_HOOK(freopen64)
#endif
