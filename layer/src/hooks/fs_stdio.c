/*
 * stdio on remote files. glibc's fopen and its FILE buffers call libc's private open/read/write,
 * which no interposition sees, so a remote file gets a FILE built with fopencookie whose callbacks go
 * through the hooked fd functions. (fileno() of such a FILE is -1.)
 */
#include <stdint.h>
#include <string.h>

#include "../fs_ops.h"
#include "../layer.h"
#include "../real_fs.h"

static ssize_t cookie_read(void *cookie, char *buf, size_t len) { return read((int)(intptr_t)cookie, buf, len); }
static ssize_t cookie_write(void *cookie, const char *buf, size_t len) {
  ssize_t n = write((int)(intptr_t)cookie, buf, len);
  return n < 0 ? 0 : n; /* fopencookie: 0 means error */
}
static int cookie_seek(void *cookie, off64_t *offset, int whence) {
  off64_t at = lseek64((int)(intptr_t)cookie, *offset, whence);
  if (at < 0) return -1;
  *offset = at;
  return 0;
}
static int cookie_close(void *cookie) { return close((int)(intptr_t)cookie); }

static FILE *remote_stream(int fd, const char *mode) {
  cookie_io_functions_t io = {cookie_read, cookie_write, cookie_seek, cookie_close};
  return fopencookie((void *)(intptr_t)fd, mode, io);
}

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
    FILE *stream = fdtable_get(fd) ? remote_stream(fd, mode) : REAL_FS(fdopen)(fd, mode); \
    if (!stream) {                                                              \
      int error = errno;                                                        \
      close(fd);                                                                \
      errno = error;                                                            \
    }                                                                           \
    return stream;                                                              \
  }
FOPEN_HOOK(fopen)
FOPEN_HOOK(fopen64)

LAYER_EXPORT FILE *fdopen(int fd, const char *mode) {
  if (!fs_remote_fd(fd)) return REAL_FS(fdopen)(fd, mode);
  return remote_stream(fd, mode);
}
