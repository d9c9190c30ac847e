/*
 * What the file hooks share: entering the layer for a file call, routing a path argument, opening a
 * remote file behind a local placeholder fd, and turning -errno results into libc's -1/errno.
 */
#ifndef MIRRORD_LAYER_FS_OPS_H
#define MIRRORD_LAYER_FS_OPS_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fdtable.h"
#include "fs_policy.h"
#include "guard.h"

/* True when this call must be looked at (fs not local, not re-entered); pair with fs_leave(). */
static inline bool fs_enter(void) { return fs_policy_active() && guard_enter(); }
static inline void fs_leave(void) { guard_leave(); }

/* The remote file behind fd when the layer handles files, else NULL (bypass). */
static inline struct remote_file *fs_remote_fd(int fd) {
  return fs_policy_active() ? fdtable_get(fd) : NULL;
}

/* libc's convention from a >= 0 result or -errno. */
static inline long fs_result(long rc) {
  if (rc >= 0) return rc;
  errno = (int)-rc;
  return -1;
}

/* A routed path argument: where it goes and which string to use for it. */
struct fs_path {
  enum fs_route route;
  /* For a local route: the caller's path, or the remapped one when mapping changed it. */
  const char *local;
  char resolved[PATH_MAX];
};

void fs_route_path(struct fs_path *out, const char *path, bool writing);

/* open(2) flags that make an open count as writing (layer.md §2). */
bool fs_flags_write(int flags);

/*
 * Opens remotely (relative to the remote directory `dir` when given) and returns a local placeholder
 * fd honouring the program's flags, or -errno.
 */
int fs_open_remote(const struct remote_file *dir, const char *path, int flags, mode_t mode);

/* Runs `op` on a short-lived remote handle of (dir, path) opened with `flags` (O_PATH for metadata). */
int fs_with_remote_handle(const struct remote_file *dir, const char *path, int flags,
                          int (*op)(uint64_t handle, void *ctx), void *ctx);

/* `relative` taken against the pod directory `base` into `out`; false when it does not fit. */
bool fs_join_pod_path(const char *base, const char *relative, char *out, size_t cap);

#endif
