/*
 * chdir/fchdir/getcwd with remote directories. Entering a directory that routes to the pod makes it
 * the remote cwd (fs_cwd.h): relative file paths then resolve against it and getcwd reports it. The
 * real cwd follows when the laptop has that directory too, so what is not a file call (exec of
 * "./prog", a relative unix socket path) keeps working; a local chdir makes the real cwd apply again.
 */
#include <string.h>

#include "../fs_cwd.h"
#include "../fs_ops.h"
#include "../layer.h"
#include "../real_fs.h"
#include "../remote_fs.h"

#define BYPASS 1

/* Makes the pod directory `pod_path` the cwd when it is one the pod lets the program enter. */
static int enter_remote(const char *pod_path) {
  char canonical[PATH_MAX];
  int rc = remote_realpath(pod_path, canonical, sizeof(canonical));
  struct stat st;
  if (rc == 0) rc = remote_stat(false, 0, canonical, true, &st);
  if (rc == 0 && !S_ISDIR(st.st_mode)) rc = -ENOTDIR;
  if (rc == 0) rc = remote_access(canonical, X_OK, 0);
  if (rc < 0) return rc;
  fs_cwd_set_remote(canonical);
  REAL_FS(chdir)(canonical); /* best effort: the laptop may not have it */
  return 0;
}

static int chdir_remote(const char *path, struct fs_path *routed) {
  routed->local = path;
  if (!path || !fs_enter()) return BYPASS;
  int saved_errno = errno;
  fs_route_path(routed, path, false);
  int rc = BYPASS;
  if (routed->route == FS_ROUTE_NOT_FOUND) rc = -ENOENT;
  else if (routed->route == FS_ROUTE_REMOTE) rc = enter_remote(routed->resolved);
  fs_leave();
  errno = saved_errno;
  return rc;
}

/* A real chdir/fchdir that succeeded leaves the remote cwd behind. */
static int local_result(int rc) {
  if (rc == 0 && fs_policy_active()) fs_cwd_set_remote(NULL);
  return rc;
}

LAYER_EXPORT int chdir(const char *path) {
  struct fs_path routed;
  int rc = chdir_remote(path, &routed);
  return rc != BYPASS ? (int)fs_result(rc) : local_result(REAL_FS(chdir)(routed.local));
}

LAYER_EXPORT int fchdir(int fd) {
  struct remote_file *file = fs_remote_fd(fd);
  if (!file || !guard_enter()) return local_result(REAL_FS(fchdir)(fd));
  int saved_errno = errno;
  int rc = file->path ? enter_remote(file->path) : -ENOMEM;
  guard_leave();
  errno = saved_errno;
  return (int)fs_result(rc);
}

/* getcwd(3) with the remote cwd: glibc's contract for a NULL buffer (allocate `size`, or as needed). */
static char *remote_getcwd(const char *cwd, char *buf, size_t size) {
  size_t needed = strlen(cwd) + 1;
  if (!buf) {
    buf = malloc(size ? size : needed);
    if (!buf) {
      errno = ENOMEM;
      return NULL;
    }
    if (!size) size = needed;
  } else if (size == 0) {
    errno = EINVAL;
    return NULL;
  }
  if (size < needed) {
    errno = ERANGE;
    return NULL;
  }
  return memcpy(buf, cwd, needed);
}

LAYER_EXPORT char *getcwd(char *buf, size_t size) {
  char cwd[PATH_MAX];
  if (!fs_policy_active() || !fs_cwd_remote(cwd, sizeof(cwd))) return REAL_FS(getcwd)(buf, size);
  return remote_getcwd(cwd, buf, size);
}

#ifdef __GLIBC__
LAYER_EXPORT char *__getcwd_chk(char *buf, size_t size, size_t buflen) {
  if (size > buflen) return REAL_FS(__getcwd_chk)(buf, size, buflen);
  return getcwd(buf, size);
}
#endif
