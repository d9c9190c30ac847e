/* read/write/seek/sync/truncate on fds that stand for remote files (layer.md §1f); others bypass. */
#include <string.h>

#include "../fs_ops.h"
#include "../layer.h"
#include "../real_fs.h"
#include "../remote_fs.h"

/* Runs `op` for a remote fd inside the guard with libc's result convention. */
#define REMOTE_CALL(type, file, op)        \
  ({                                       \
    int saved_errno_ = errno;              \
    long rc_ = (op);                       \
    guard_leave();                         \
    errno = saved_errno_;                  \
    (type) fs_result(rc_);                 \
  })

/* The remote file behind fd for this call, entering the guard; NULL → call the real function. */
static struct remote_file *enter_fd(int fd) {
  struct remote_file *file = fs_remote_fd(fd);
  if (!file || !guard_enter()) return NULL;
  return file;
}

LAYER_EXPORT ssize_t read(int fd, void *buf, size_t len) {
  struct remote_file *file = enter_fd(fd);
  if (!file) return REAL_FS(read)(fd, buf, len);
  return REMOTE_CALL(ssize_t, file, remote_file_read(file, buf, len));
}

#define PREAD_HOOK(name, off_type)                                                \
  LAYER_EXPORT ssize_t name(int fd, void *buf, size_t len, off_type offset) {     \
    struct remote_file *file = enter_fd(fd);                                      \
    if (!file) return REAL_FS(name)(fd, buf, len, offset);                        \
    if (offset < 0) {                                                             \
      guard_leave();                                                              \
      errno = EINVAL;                                                             \
      return -1;                                                                  \
    }                                                                             \
    return REMOTE_CALL(ssize_t, file, remote_file_pread(file, buf, len, (uint64_t)offset)); \
  }
PREAD_HOOK(pread, off_t)

LAYER_EXPORT ssize_t write(int fd, const void *buf, size_t len) {
  struct remote_file *file = buf ? enter_fd(fd) : NULL;
  if (!file) return REAL_FS(write)(fd, buf, len);
  return REMOTE_CALL(ssize_t, file, remote_file_write(file, buf, len));
}

#define PWRITE_HOOK(name, off_type)                                                    \
  LAYER_EXPORT ssize_t name(int fd, const void *buf, size_t len, off_type offset) {    \
    struct remote_file *file = enter_fd(fd);                                           \
    if (!file) return REAL_FS(name)(fd, buf, len, offset);                             \
    if (offset < 0) {                                                                  \
      guard_leave();                                                                   \
      errno = EINVAL;                                                                  \
      return -1;                                                                       \
    }                                                                                  \
    return REMOTE_CALL(ssize_t, file, remote_file_pwrite(file, buf, len, (uint64_t)offset)); \
  }
PWRITE_HOOK(pwrite, off_t)

/*
 * Vectored I/O, one remote transfer per buffer: stops at the first short transfer, like the kernel.
 * `offset` < 0 means "at the file's offset" (readv/writev).
 */
static long vectored(struct remote_file *file, const struct iovec *iov, int count, int64_t offset, bool writing) {
  if (count < 0 || count > IOV_MAX) return -EINVAL;
  long total = 0;
  for (int i = 0; i < count; i++) {
    if (iov[i].iov_len == 0) continue;
    long n;
    if (writing)
      n = offset < 0 ? remote_file_write(file, iov[i].iov_base, iov[i].iov_len)
                     : remote_file_pwrite(file, iov[i].iov_base, iov[i].iov_len, (uint64_t)offset + total);
    else
      n = offset < 0 ? remote_file_read(file, iov[i].iov_base, iov[i].iov_len)
                     : remote_file_pread(file, iov[i].iov_base, iov[i].iov_len, (uint64_t)offset + total);
    if (n < 0) return total ? total : n;
    total += n;
    if ((size_t)n < iov[i].iov_len) break;
  }
  return total;
}

LAYER_EXPORT ssize_t readv(int fd, const struct iovec *iov, int count) {
  struct remote_file *file = enter_fd(fd);
  if (!file) return REAL_FS(readv)(fd, iov, count);
  return REMOTE_CALL(ssize_t, file, vectored(file, iov, count, -1, false));
}

LAYER_EXPORT ssize_t writev(int fd, const struct iovec *iov, int count) {
  struct remote_file *file = enter_fd(fd);
  if (!file) return REAL_FS(writev)(fd, iov, count);
  return REMOTE_CALL(ssize_t, file, vectored(file, iov, count, -1, true));
}

#define VECTORED_AT_HOOK(name, off_type, writing)                                          \
  LAYER_EXPORT ssize_t name(int fd, const struct iovec *iov, int count, off_type offset) { \
    struct remote_file *file = enter_fd(fd);                                               \
    if (!file) return REAL_FS(name)(fd, iov, count, offset);                               \
    long rc = offset < 0 ? -EINVAL : vectored(file, iov, count, offset, writing);          \
    return REMOTE_CALL(ssize_t, file, rc);                                                 \
  }
VECTORED_AT_HOOK(preadv, off_t, false)
VECTORED_AT_HOOK(pwritev, off_t, true)

#define LSEEK_HOOK(name, off_type)                                               \
  LAYER_EXPORT off_type name(int fd, off_type offset, int whence) {              \
    struct remote_file *file = enter_fd(fd);                                     \
    if (!file) return REAL_FS(name)(fd, offset, whence);                         \
    return REMOTE_CALL(off_type, file, remote_file_seek(file, offset, whence));  \
  }
LSEEK_HOOK(lseek, off_t)

LAYER_EXPORT int fsync(int fd) {
  struct remote_file *file = enter_fd(fd);
  if (!file) return REAL_FS(fsync)(fd);
  return REMOTE_CALL(int, file, remote_sync(file->handle, false));
}

#define FTRUNCATE_HOOK(name, off_type)                                                        \
  LAYER_EXPORT int name(int fd, off_type length) {                                            \
    struct remote_file *file = enter_fd(fd);                                                  \
    if (!file) return REAL_FS(name)(fd, length);                                              \
    long rc = length < 0 ? -EINVAL : remote_file_truncate(file, (uint64_t)length);            \
    return REMOTE_CALL(int, file, rc);                                                        \
  }
FTRUNCATE_HOOK(ftruncate, off_t)

/* glibc's own entry points: the *64 twins, the fortified reads, fdatasync (macOS declares none). */
#ifdef __GLIBC__
PREAD_HOOK(pread64, off64_t)
PWRITE_HOOK(pwrite64, off64_t)
VECTORED_AT_HOOK(preadv64, off64_t, false)
VECTORED_AT_HOOK(pwritev64, off64_t, true)
LSEEK_HOOK(lseek64, off64_t)
FTRUNCATE_HOOK(ftruncate64, off64_t)

LAYER_EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen) {
  if (len > buflen) return REAL_FS(__read_chk)(fd, buf, len, buflen); /* lets glibc report the overflow */
  return read(fd, buf, len);
}

LAYER_EXPORT ssize_t __pread_chk(int fd, void *buf, size_t len, off_t offset, size_t buflen) {
  if (len > buflen) return REAL_FS(__pread_chk)(fd, buf, len, offset, buflen);
  return pread(fd, buf, len, offset);
}

LAYER_EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t len, off64_t offset, size_t buflen) {
  if (len > buflen) return REAL_FS(__pread64_chk)(fd, buf, len, offset, buflen);
  return pread64(fd, buf, len, offset);
}

LAYER_EXPORT int fdatasync(int fd) {
  struct remote_file *file = enter_fd(fd);
  if (!file) return REAL_FS(fdatasync)(fd);
  return REMOTE_CALL(int, file, remote_sync(file->handle, true));
}
#endif
