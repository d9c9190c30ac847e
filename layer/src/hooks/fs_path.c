/* mkdir, rmdir, unlink, rename and their *at forms on remote paths (all count as writing). */
#include <string.h>

#include "../fs_ops.h"
#include "../layer.h"
#include "../real_fs.h"
#include "../remote_fs.h"

#define BYPASS 1

enum path_op { OP_MKDIR, OP_RMDIR, OP_UNLINK };

/* Runs op on (dirfd, path) when it is remote: relative to a remote directory fd, or routed remote. */
static int path_op_remote(enum path_op op, int dirfd, const char *path, int arg, struct fs_path *routed) {
  routed->local = path;
  if (!path || !fs_enter()) return BYPASS;
  int saved_errno = errno;
  int rc = BYPASS;
  if (path[0] != '/' && dirfd != AT_FDCWD) {
    struct remote_file *dir = fdtable_get(dirfd);
    if (dir && op == OP_MKDIR) rc = remote_mkdir(true, dir->handle, path, (mode_t)arg);
    else if (dir && op == OP_UNLINK) rc = remote_unlink(true, dir->handle, path, arg);
  } else {
    fs_route_path(routed, path, true);
    if (routed->route == FS_ROUTE_NOT_FOUND) rc = -ENOENT;
    else if (routed->route == FS_ROUTE_LOCAL) rc = BYPASS;
    else if (op == OP_MKDIR) rc = remote_mkdir(false, 0, routed->resolved, (mode_t)arg);
    else if (op == OP_RMDIR) rc = remote_rmdir(routed->resolved);
    else rc = remote_unlink(false, 0, routed->resolved, arg);
  }
  fs_leave();
  errno = saved_errno;
  return rc;
}

LAYER_EXPORT int mkdir(const char *path, mode_t mode) {
  struct fs_path routed;
  int rc = path_op_remote(OP_MKDIR, AT_FDCWD, path, (int)mode, &routed);
  return rc != BYPASS ? (int)fs_result(rc) : REAL_FS(mkdir)(routed.local, mode);
}

LAYER_EXPORT int mkdirat(int dirfd, const char *path, mode_t mode) {
  struct fs_path routed;
  int rc = path_op_remote(OP_MKDIR, dirfd, path, (int)mode, &routed);
  return rc != BYPASS ? (int)fs_result(rc) : REAL_FS(mkdirat)(routed.local == path ? dirfd : AT_FDCWD, routed.local, mode);
}

LAYER_EXPORT int rmdir(const char *path) {
  struct fs_path routed;
  int rc = path_op_remote(OP_RMDIR, AT_FDCWD, path, 0, &routed);
  return rc != BYPASS ? (int)fs_result(rc) : REAL_FS(rmdir)(routed.local);
}

LAYER_EXPORT int unlink(const char *path) {
  struct fs_path routed;
  int rc = path_op_remote(OP_UNLINK, AT_FDCWD, path, 0, &routed);
  return rc != BYPASS ? (int)fs_result(rc) : REAL_FS(unlink)(routed.local);
}

LAYER_EXPORT int unlinkat(int dirfd, const char *path, int flags) {
  struct fs_path routed;
  int rc = path_op_remote(OP_UNLINK, dirfd, path, flags, &routed);
  return rc != BYPASS ? (int)fs_result(rc) : REAL_FS(unlinkat)(routed.local == path ? dirfd : AT_FDCWD, routed.local, flags);
}

/* Both remote → renamed in the pod; both local → locally; one of each → EXDEV, as across devices. */
static int rename_remote(const char *from, const char *to, struct fs_path *a, struct fs_path *b) {
  a->local = from;
  b->local = to;
  if (!from || !to || !fs_enter()) return BYPASS;
  int saved_errno = errno;
  fs_route_path(a, from, true);
  fs_route_path(b, to, true);
  int rc = BYPASS;
  if (a->route == FS_ROUTE_NOT_FOUND || b->route == FS_ROUTE_NOT_FOUND) rc = -ENOENT;
  else if (a->route == FS_ROUTE_REMOTE && b->route == FS_ROUTE_REMOTE) rc = remote_rename(a->resolved, b->resolved);
  else if (a->route == FS_ROUTE_REMOTE || b->route == FS_ROUTE_REMOTE) rc = -EXDEV;
  fs_leave();
  errno = saved_errno;
  return rc;
}

LAYER_EXPORT int rename(const char *from, const char *to) {
  struct fs_path a, b;
  int rc = rename_remote(from, to, &a, &b);
  return rc != BYPASS ? (int)fs_result(rc) : REAL_FS(rename)(a.local, b.local);
}

LAYER_EXPORT int renameat(int olddirfd, const char *from, int newdirfd, const char *to) {
  bool absolute = from && to && (from[0] == '/' || olddirfd == AT_FDCWD) && (to[0] == '/' || newdirfd == AT_FDCWD);
  if (!absolute) return REAL_FS(renameat)(olddirfd, from, newdirfd, to);
  struct fs_path a, b;
  int rc = rename_remote(from, to, &a, &b);
  if (rc != BYPASS) return (int)fs_result(rc);
  return REAL_FS(renameat)(a.local == from ? olddirfd : AT_FDCWD, a.local, b.local == to ? newdirfd : AT_FDCWD, b.local);
}
