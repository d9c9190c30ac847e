/* stat family, statx, access, statfs/statvfs, readlink and realpath for remote paths and fds. */
#include <stdarg.h>
#include <string.h>

#include "../fs_ops.h"
#include "../fs_platform.h"
#include "../layer.h"
#include "../real_fs.h"
#include "../remote_fs.h"

#define BYPASS 1 /* a result no remote path produces: 0 or -errno are ours */

/*
 * Stat of (dirfd, path) when it is remote: by a remote fd (empty path with AT_EMPTY_PATH), relative
 * to a remote directory fd, or by an absolute / cwd-relative path the policy sends remote.
 */
static int stat_remote(int dirfd, const char *path, int flags, struct stat *out, struct fs_path *routed) {
  routed->local = path;
  if (!path || !fs_enter()) return BYPASS;
  int saved_errno = errno;
  bool follow = !(flags & AT_SYMLINK_NOFOLLOW);
  struct remote_file *dir = dirfd == AT_FDCWD ? NULL : fdtable_get(dirfd);
  int rc = BYPASS;
  if (path[0] == '\0') {
    if (dir && (flags & AT_EMPTY_PATH)) rc = remote_stat(true, dir->handle, NULL, follow, out);
  } else if (path[0] != '/' && dirfd != AT_FDCWD) {
    if (dir) rc = remote_stat(true, dir->handle, path, follow, out);
  } else {
    fs_route_path(routed, path, false);
    if (routed->route == FS_ROUTE_NOT_FOUND) rc = -ENOENT;
    else if (routed->route == FS_ROUTE_REMOTE) rc = remote_stat(false, 0, routed->resolved, follow, out);
  }
  fs_leave();
  errno = saved_errno;
  return rc;
}

static int fstat_remote(int fd, struct stat *out) {
  struct remote_file *file = fs_remote_fd(fd);
  if (!file || !guard_enter()) return BYPASS;
  int saved_errno = errno;
  int rc = remote_stat(true, file->handle, NULL, true, out);
  guard_leave();
  errno = saved_errno;
  return rc;
}

#define PATH_STAT_HOOK(name, stat_type, flags)                                 \
  LAYER_EXPORT int name(const char *path, struct stat_type *buf) {             \
    struct fs_path routed;                                                         \
    int rc = stat_remote(AT_FDCWD, path, flags, (struct stat *)buf, &routed);   \
    return rc != BYPASS ? (int)fs_result(rc) : REAL_FS(name)(routed.local, buf);      \
  }
PATH_STAT_HOOK(stat, stat, 0)
PATH_STAT_HOOK(lstat, stat, AT_SYMLINK_NOFOLLOW)

#define FSTAT_HOOK(name, stat_type)                                       \
  LAYER_EXPORT int name(int fd, struct stat_type *buf) {                  \
    int rc = fstat_remote(fd, (struct stat *)buf);                        \
    return rc != BYPASS ? (int)fs_result(rc) : REAL_FS(name)(fd, buf);    \
  }
FSTAT_HOOK(fstat, stat)

#define FSTATAT_HOOK(name, stat_type)                                                         \
  LAYER_EXPORT int name(int dirfd, const char *path, struct stat_type *buf, int flags) {      \
    struct fs_path routed;                                                                        \
    int rc = stat_remote(dirfd, path, flags, (struct stat *)buf, &routed);                     \
    if (rc != BYPASS) return (int)fs_result(rc);                                              \
    return REAL_FS(name)(routed.local == path ? dirfd : AT_FDCWD, routed.local, buf, flags);                \
  }
FSTATAT_HOOK(fstatat, stat)

/* access(2) with W_OK counts as writing, so it agrees with the open that follows it. */
static int access_remote(int dirfd, const char *path, int mode, int flags, struct fs_path *routed) {
  routed->local = path;
  if (!path || (path[0] != '/' && dirfd != AT_FDCWD) || !fs_enter()) return BYPASS;
  int saved_errno = errno;
  fs_route_path(routed, path, (mode & W_OK) != 0);
  int rc = BYPASS;
  if (routed->route == FS_ROUTE_NOT_FOUND) rc = -ENOENT;
  else if (routed->route == FS_ROUTE_REMOTE) rc = remote_access(routed->resolved, mode, flags);
  fs_leave();
  errno = saved_errno;
  return rc;
}

LAYER_EXPORT int access(const char *path, int mode) {
  struct fs_path routed;
  int rc = access_remote(AT_FDCWD, path, mode, 0, &routed);
  return rc != BYPASS ? (int)fs_result(rc) : REAL_FS(access)(routed.local, mode);
}

LAYER_EXPORT int faccessat(int dirfd, const char *path, int mode, int flags) {
  struct fs_path routed;
  int rc = access_remote(dirfd, path, mode, flags, &routed);
  return rc != BYPASS ? (int)fs_result(rc) : REAL_FS(faccessat)(routed.local == path ? dirfd : AT_FDCWD, routed.local, mode, flags);
}

/* statfs of a path or fd; `handle_fd` >= 0 selects the fd form. */
static int statfs_remote(int handle_fd, const char *path, mp_stat_fs *out, struct fs_path *routed) {
  routed->local = path;
  if (handle_fd >= 0) {
    struct remote_file *file = fs_remote_fd(handle_fd);
    if (!file || !guard_enter()) return BYPASS;
    int saved_errno = errno;
    int rc = remote_statfs(true, file->handle, NULL, out);
    guard_leave();
    errno = saved_errno;
    return rc;
  }
  if (!path || !fs_enter()) return BYPASS;
  int saved_errno = errno;
  fs_route_path(routed, path, false);
  int rc = BYPASS;
  if (routed->route == FS_ROUTE_NOT_FOUND) rc = -ENOENT;
  else if (routed->route == FS_ROUTE_REMOTE) rc = remote_statfs(false, 0, routed->resolved, out);
  fs_leave();
  errno = saved_errno;
  return rc;
}

#define STATFS_HOOK(name, statfs_type)                                              \
  LAYER_EXPORT int name(const char *path, struct statfs_type *buf) {                \
    struct fs_path routed;                                                          \
    mp_stat_fs fs;                                                                  \
    int rc = statfs_remote(-1, path, &fs, &routed);                                 \
    if (rc == BYPASS) return REAL_FS(name)(routed.local, buf);                      \
    if (rc == 0) fs_platform_statfs(&fs, (struct statfs *)buf);                     \
    return (int)fs_result(rc);                                                      \
  }
STATFS_HOOK(statfs, statfs)

#define FSTATFS_HOOK(name, statfs_type)                                             \
  LAYER_EXPORT int name(int fd, struct statfs_type *buf) {                          \
    struct fs_path unused;                                                          \
    mp_stat_fs fs;                                                                  \
    int rc = statfs_remote(fd, NULL, &fs, &unused);                                 \
    if (rc == BYPASS) return REAL_FS(name)(fd, buf);                                \
    if (rc == 0) fs_platform_statfs(&fs, (struct statfs *)buf);                     \
    return (int)fs_result(rc);                                                      \
  }
FSTATFS_HOOK(fstatfs, statfs)

#define STATVFS_HOOK(name, statvfs_type, fd_arg, path_arg, first_type, first)      \
  LAYER_EXPORT int name(first_type first, struct statvfs_type *buf) {              \
    mp_stat_fs fs;                                                                 \
    struct fs_path routed;                                                         \
    int rc = statfs_remote(fd_arg, path_arg, &fs, &routed);                        \
    if (rc == BYPASS) return REAL_FS(name)(first, buf);                            \
    if (rc == 0) fs_platform_statvfs(&fs, (struct statvfs *)buf);                  \
    return (int)fs_result(rc);                                                     \
  }
STATVFS_HOOK(statvfs, statvfs, -1, path, const char *, path)
STATVFS_HOOK(fstatvfs, statvfs, fd, NULL, int, fd)

static ssize_t readlink_remote(int dirfd, const char *path, char *buf, size_t len, struct fs_path *routed) {
  routed->local = path;
  if (!path || (path[0] != '/' && dirfd != AT_FDCWD) || !fs_enter()) return BYPASS;
  int saved_errno = errno;
  fs_route_path(routed, path, false);
  ssize_t rc = BYPASS;
  if (routed->route == FS_ROUTE_NOT_FOUND) rc = -ENOENT;
  else if (routed->route == FS_ROUTE_REMOTE) rc = remote_readlink(routed->resolved, buf, len);
  fs_leave();
  errno = saved_errno;
  return rc;
}

LAYER_EXPORT ssize_t readlink(const char *path, char *buf, size_t len) {
  struct fs_path routed;
  ssize_t rc = readlink_remote(AT_FDCWD, path, buf, len, &routed);
  return rc != BYPASS ? (ssize_t)fs_result(rc) : REAL_FS(readlink)(routed.local, buf, len);
}

LAYER_EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t len) {
  struct fs_path routed;
  ssize_t rc = readlink_remote(dirfd, path, buf, len, &routed);
  if (rc != BYPASS) return (ssize_t)fs_result(rc);
  return REAL_FS(readlinkat)(routed.local == path ? dirfd : AT_FDCWD, routed.local, buf, len);
}

/* realpath of a remote path: the agent resolves it inside the target's root. */
LAYER_EXPORT char *realpath(const char *path, char *resolved) {
  if (!path || !fs_enter()) return REAL_FS(realpath)(path, resolved);
  int saved_errno = errno;
  struct fs_path routed;
  fs_route_path(&routed, path, false);
  char out[PATH_MAX];
  int rc = 1;
  if (routed.route == FS_ROUTE_NOT_FOUND) rc = -ENOENT;
  else if (routed.route == FS_ROUTE_REMOTE) rc = remote_realpath(routed.resolved, out, sizeof(out));
  fs_leave();
  errno = saved_errno;
  if (rc == 1) return REAL_FS(realpath)(routed.local, resolved);
  if (rc < 0) {
    errno = -rc;
    return NULL;
  }
  if (resolved) return strcpy(resolved, out);
  char *copy = strdup(out);
  if (!copy) errno = ENOMEM;
  return copy;
}

/* glibc's own entry points: the *64 twins, __xstat and friends, statx (and syscall(SYS_statx)),
 * getdents64 by syscall, the fortified readlink / realpath. */
#ifdef __GLIBC__
#include <sys/syscall.h>
#include <sys/sysmacros.h>

_Static_assert(sizeof(struct stat) == sizeof(struct stat64), "stat64 is stat on 64-bit Linux");
_Static_assert(sizeof(struct statfs) == sizeof(struct statfs64), "statfs64 is statfs on 64-bit Linux");

PATH_STAT_HOOK(stat64, stat64, 0)
PATH_STAT_HOOK(lstat64, stat64, AT_SYMLINK_NOFOLLOW)
FSTAT_HOOK(fstat64, stat64)
FSTATAT_HOOK(fstatat64, stat64)
STATFS_HOOK(statfs64, statfs64)
FSTATFS_HOOK(fstatfs64, statfs64)
STATVFS_HOOK(statvfs64, statvfs64, -1, path, const char *, path)
STATVFS_HOOK(fstatvfs64, statvfs64, fd, NULL, int, fd)

#define XSTAT_HOOK(name, stat_type, flags)                                          \
  LAYER_EXPORT int name(int ver, const char *path, struct stat_type *buf) {         \
    struct fs_path routed;                                                              \
    int rc = stat_remote(AT_FDCWD, path, flags, (struct stat *)buf, &routed);        \
    return rc != BYPASS ? (int)fs_result(rc) : REAL_FS(name)(ver, routed.local, buf);      \
  }
XSTAT_HOOK(__xstat, stat, 0)
XSTAT_HOOK(__xstat64, stat64, 0)
XSTAT_HOOK(__lxstat, stat, AT_SYMLINK_NOFOLLOW)
XSTAT_HOOK(__lxstat64, stat64, AT_SYMLINK_NOFOLLOW)

#define FXSTAT_HOOK(name, stat_type)                                           \
  LAYER_EXPORT int name(int ver, int fd, struct stat_type *buf) {              \
    int rc = fstat_remote(fd, (struct stat *)buf);                             \
    return rc != BYPASS ? (int)fs_result(rc) : REAL_FS(name)(ver, fd, buf);    \
  }
FXSTAT_HOOK(__fxstat, stat)
FXSTAT_HOOK(__fxstat64, stat64)

#define FXSTATAT_HOOK(name, stat_type)                                                                \
  LAYER_EXPORT int name(int ver, int dirfd, const char *path, struct stat_type *buf, int flags) {     \
    struct fs_path routed;                                                                                \
    int rc = stat_remote(dirfd, path, flags, (struct stat *)buf, &routed);                             \
    if (rc != BYPASS) return (int)fs_result(rc);                                                      \
    return REAL_FS(name)(ver, routed.local == path ? dirfd : AT_FDCWD, routed.local, buf, flags);                   \
  }
FXSTATAT_HOOK(__fxstatat, stat)
FXSTATAT_HOOK(__fxstatat64, stat64)

static void stat_to_statx(const struct stat *in, struct statx *out) {
  memset(out, 0, sizeof(*out));
  out->stx_mask = STATX_BASIC_STATS;
  out->stx_blksize = (uint32_t)in->st_blksize;
  out->stx_nlink = (uint32_t)in->st_nlink;
  out->stx_uid = in->st_uid;
  out->stx_gid = in->st_gid;
  out->stx_mode = (uint16_t)in->st_mode;
  out->stx_ino = in->st_ino;
  out->stx_size = (uint64_t)in->st_size;
  out->stx_blocks = (uint64_t)in->st_blocks;
  out->stx_atime = (struct statx_timestamp){in->st_atim.tv_sec, (uint32_t)in->st_atim.tv_nsec, 0};
  out->stx_mtime = (struct statx_timestamp){in->st_mtim.tv_sec, (uint32_t)in->st_mtim.tv_nsec, 0};
  out->stx_ctime = (struct statx_timestamp){in->st_ctim.tv_sec, (uint32_t)in->st_ctim.tv_nsec, 0};
  out->stx_rdev_major = major(in->st_rdev);
  out->stx_rdev_minor = minor(in->st_rdev);
  out->stx_dev_major = major(in->st_dev);
  out->stx_dev_minor = minor(in->st_dev);
}

LAYER_EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf) {
  struct stat st;
  struct fs_path routed;
  int rc = stat_remote(dirfd, path, flags, &st, &routed);
  if (rc == BYPASS) return REAL_FS(statx)(routed.local == path ? dirfd : AT_FDCWD, routed.local, flags, mask, buf);
  if (rc == 0) stat_to_statx(&st, buf);
  return (int)fs_result(rc);
}

/*
 * libuv (Node) stats through syscall(SYS_statx, …) rather than statx(3), and directory walkers call
 * syscall(SYS_getdents64, …); every other system call number passes straight through.
 */
LAYER_EXPORT long syscall(long number, ...) {
  va_list args;
  va_start(args, number);
  long a1 = va_arg(args, long), a2 = va_arg(args, long), a3 = va_arg(args, long);
  long a4 = va_arg(args, long), a5 = va_arg(args, long), a6 = va_arg(args, long);
  va_end(args);
  if (number == SYS_statx && fs_policy_active() && layer_depth == 0)
    return statx((int)a1, (const char *)a2, (int)a3, (unsigned int)a4, (struct statx *)a5);
  if (number == SYS_getdents64 && fs_policy_active() && layer_depth == 0)
    return getdents64((int)a1, (void *)a2, (size_t)a3);
  return REAL_FS(syscall)(number, a1, a2, a3, a4, a5, a6);
}

LAYER_EXPORT ssize_t __readlink_chk(const char *path, char *buf, size_t len, size_t buflen) {
  if (len > buflen) return REAL_FS(__readlink_chk)(path, buf, len, buflen);
  return readlink(path, buf, len);
}

LAYER_EXPORT char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen) {
  if (resolvedlen < PATH_MAX) return REAL_FS(__realpath_chk)(path, resolved, resolvedlen);
  return realpath(path, resolved);
}
#endif
