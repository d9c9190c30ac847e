/*
 * truncate, chmod, chown and the utime family on remote paths and fds (all count as writing). A path
 * form opens a short-lived remote handle (O_PATH, or O_WRONLY for truncate) and acts on it, so the
 * agent resolves the path inside the target's root exactly as it does for open.
 */
#include <string.h>
#include <time.h>

#include "../fs_ops.h"
#include "../fs_platform.h"
#include "../layer.h"
#include "../real_fs.h"
#include "../remote_fs.h"

#define BYPASS 1

enum meta_op { META_TRUNCATE, META_CHMOD, META_CHOWN, META_TIMES };

struct meta_change {
  enum meta_op op;
  uint64_t length;
  mode_t mode;
  uid_t uid;
  gid_t gid;
  /* utimensat's pair: NULL = both now; a UTIME_NOW / UTIME_OMIT nanosecond field means what it says. */
  const struct timespec *times;
};

/* One of utimensat's times as FileSetTimes takes it: NULL keeps the file's own. */
static const struct timespec *wire_time(const struct timespec *time, struct timespec *now) {
  if (time && time->tv_nsec == UTIME_OMIT) return NULL;
  if (time && time->tv_nsec != UTIME_NOW) return time;
  clock_gettime(CLOCK_REALTIME, now);
  return now;
}

static int apply(uint64_t handle, void *ctx) {
  const struct meta_change *change = ctx;
  switch (change->op) {
    case META_TRUNCATE: return remote_truncate(handle, change->length);
    case META_CHMOD: return remote_chmod(handle, change->mode);
    case META_CHOWN: return remote_chown(handle, change->uid, change->gid);
    case META_TIMES: {
      struct timespec now_a, now_m;
      const struct timespec *times = change->times;
      return remote_set_times(handle, wire_time(times ? &times[0] : NULL, &now_a),
                              wire_time(times ? &times[1] : NULL, &now_m));
    }
  }
  return -EINVAL;
}

/* The change on a remote fd, or BYPASS for a local one. */
static int change_fd(int fd, struct meta_change *change) {
  struct remote_file *file = fs_remote_fd(fd);
  if (!file || !guard_enter()) return BYPASS;
  int saved_errno = errno;
  int rc = apply(file->handle, change);
  guard_leave();
  errno = saved_errno;
  return rc;
}

/* The change on (dirfd, path) when it is remote, or BYPASS (with routed->local the path to use). */
static int change_path(int dirfd, const char *path, bool follow, struct meta_change *change, struct fs_path *routed) {
  routed->local = path;
  if (!path || !fs_enter()) return BYPASS;
  int saved_errno = errno;
  int flags = change->op == META_TRUNCATE ? O_WRONLY : FS_O_PATH | (follow ? 0 : O_NOFOLLOW);
  int rc = BYPASS;
  if (path[0] != '/' && dirfd != AT_FDCWD) {
    struct remote_file *dir = fdtable_get(dirfd);
    if (dir) rc = fs_with_remote_handle(dir, path, flags, apply, change);
  } else {
    fs_route_path(routed, path, true);
    if (routed->route == FS_ROUTE_NOT_FOUND) rc = -ENOENT;
    else if (routed->route == FS_ROUTE_REMOTE) rc = fs_with_remote_handle(NULL, routed->resolved, flags, apply, change);
  }
  fs_leave();
  errno = saved_errno;
  return rc;
}

/* The dirfd to pair with routed->local for the real *at call. */
#define LOCAL_DIRFD(routed, path, dirfd) ((routed).local == (path) ? (dirfd) : AT_FDCWD)

#define TRUNCATE_HOOK(name, off_type)                                                       \
  LAYER_EXPORT int name(const char *path, off_type length) {                                \
    if (length < 0) return REAL_FS(name)(path, length);                                     \
    struct meta_change change = {.op = META_TRUNCATE, .length = (uint64_t)length};          \
    struct fs_path routed;                                                                  \
    int rc = change_path(AT_FDCWD, path, true, &change, &routed);                           \
    return rc != BYPASS ? (int)fs_result(rc) : REAL_FS(name)(routed.local, length);         \
  }
TRUNCATE_HOOK(truncate, off_t)

LAYER_EXPORT int chmod(const char *path, mode_t mode) {
  struct meta_change change = {.op = META_CHMOD, .mode = mode};
  struct fs_path routed;
  int rc = change_path(AT_FDCWD, path, true, &change, &routed);
  return rc != BYPASS ? (int)fs_result(rc) : REAL_FS(chmod)(routed.local, mode);
}

LAYER_EXPORT int fchmodat(int dirfd, const char *path, mode_t mode, int flags) {
  struct meta_change change = {.op = META_CHMOD, .mode = mode};
  struct fs_path routed;
  int rc = change_path(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), &change, &routed);
  if (rc != BYPASS) return (int)fs_result(rc);
  return REAL_FS(fchmodat)(LOCAL_DIRFD(routed, path, dirfd), routed.local, mode, flags);
}

LAYER_EXPORT int fchmod(int fd, mode_t mode) {
  struct meta_change change = {.op = META_CHMOD, .mode = mode};
  int rc = change_fd(fd, &change);
  return rc != BYPASS ? (int)fs_result(rc) : REAL_FS(fchmod)(fd, mode);
}

#define CHOWN_HOOK(name, follow)                                                        \
  LAYER_EXPORT int name(const char *path, uid_t uid, gid_t gid) {                       \
    struct meta_change change = {.op = META_CHOWN, .uid = uid, .gid = gid};             \
    struct fs_path routed;                                                              \
    int rc = change_path(AT_FDCWD, path, follow, &change, &routed);                     \
    return rc != BYPASS ? (int)fs_result(rc) : REAL_FS(name)(routed.local, uid, gid);   \
  }
CHOWN_HOOK(chown, true)
CHOWN_HOOK(lchown, false)

LAYER_EXPORT int fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags) {
  struct meta_change change = {.op = META_CHOWN, .uid = uid, .gid = gid};
  int rc = BYPASS;
  struct fs_path routed = {.local = path};
  if (path && path[0] == '\0' && (flags & AT_EMPTY_PATH)) rc = change_fd(dirfd, &change);
  else rc = change_path(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), &change, &routed);
  if (rc != BYPASS) return (int)fs_result(rc);
  return REAL_FS(fchownat)(LOCAL_DIRFD(routed, path, dirfd), routed.local, uid, gid, flags);
}

LAYER_EXPORT int fchown(int fd, uid_t uid, gid_t gid) {
  struct meta_change change = {.op = META_CHOWN, .uid = uid, .gid = gid};
  int rc = change_fd(fd, &change);
  return rc != BYPASS ? (int)fs_result(rc) : REAL_FS(fchown)(fd, uid, gid);
}

/* utimensat(fd, NULL, …) is futimens(fd, …) (a Linux extension glibc's futimens itself uses). */
LAYER_EXPORT int utimensat(int dirfd, const char *path, const struct timespec times[2], int flags) {
  struct meta_change change = {.op = META_TIMES, .times = times};
  int rc = BYPASS;
  struct fs_path routed = {.local = path};
  if (!path) rc = change_fd(dirfd, &change);
  else rc = change_path(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), &change, &routed);
  if (rc != BYPASS) return (int)fs_result(rc);
  return REAL_FS(utimensat)(LOCAL_DIRFD(routed, path, dirfd), routed.local, times, flags);
}

LAYER_EXPORT int futimens(int fd, const struct timespec times[2]) {
  struct meta_change change = {.op = META_TIMES, .times = times};
  int rc = change_fd(fd, &change);
  return rc != BYPASS ? (int)fs_result(rc) : REAL_FS(futimens)(fd, times);
}

LAYER_EXPORT int utimes(const char *path, const struct timeval times[2]) {
  if (!times) return utimensat(AT_FDCWD, path, NULL, 0);
  for (int i = 0; i < 2; i++)
    if (times[i].tv_usec < 0 || times[i].tv_usec >= 1000000) return REAL_FS(utimes)(path, times);
  struct timespec converted[2] = {{times[0].tv_sec, times[0].tv_usec * 1000}, {times[1].tv_sec, times[1].tv_usec * 1000}};
  return utimensat(AT_FDCWD, path, converted, 0);
}

LAYER_EXPORT int utime(const char *path, const struct utimbuf *times) {
  if (!times) return utimensat(AT_FDCWD, path, NULL, 0);
  struct timespec converted[2] = {{times->actime, 0}, {times->modtime, 0}};
  return utimensat(AT_FDCWD, path, converted, 0);
}

#ifdef __GLIBC__
TRUNCATE_HOOK(truncate64, off64_t)
#endif
