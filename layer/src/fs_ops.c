#include "fs_ops.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "remote_fs.h"
#include "sys.h"

void fs_route_path(struct fs_path *out, const char *path, bool writing) {
  bool remapped = false;
  out->route = fs_policy_route(path, writing, out->resolved, sizeof(out->resolved), &remapped);
  out->local = remapped ? out->resolved : path;
}

bool fs_flags_write(int flags) {
  return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_APPEND | O_TRUNC | O_CREAT)) != 0;
}

/*
 * The placeholder is /dev/null opened with the program's access mode and fd flags, so F_GETFD, a
 * close-on-exec and poll() behave as the program expects; the data goes through the hooks.
 */
static int placeholder(int flags) {
  int kept = flags & (O_ACCMODE | O_CLOEXEC | O_APPEND | O_NONBLOCK);
  if ((kept & O_ACCMODE) == O_ACCMODE) kept &= ~O_ACCMODE;
  return (int)syscall(SYS_openat, AT_FDCWD, "/dev/null", kept);
}

bool fs_join_pod_path(const char *base, const char *relative, char *out, size_t cap) {
  if (relative[0] == '/' || !base) return (size_t)snprintf(out, cap, "%s", relative) < cap;
  size_t base_len = strlen(base);
  while (base_len > 1 && base[base_len - 1] == '/') base_len--;
  const char *separator = base_len == 1 && base[0] == '/' ? "" : "/";
  return (size_t)snprintf(out, cap, "%.*s%s%s", (int)base_len, base, separator, relative) < cap;
}

int fs_open_remote(const struct remote_file *dir, const char *path, int flags, mode_t mode) {
  char pod_path[PATH_MAX];
  if (!fs_join_pod_path(dir ? dir->path : NULL, path, pod_path, sizeof(pod_path))) return -ENAMETOOLONG;
  uint64_t handle;
  int rc = remote_open(dir != NULL, dir ? dir->handle : 0, path, flags, mode, &handle);
  if (rc < 0) return rc;
  int fd = placeholder(flags);
  struct remote_file *file =
      fd >= 0 ? remote_file_new(handle, flags & ~(O_CREAT | O_EXCL | O_TRUNC), pod_path) : NULL;
  if (!file || !fdtable_put(fd, file)) {
    int error = fd < 0 ? errno : EMFILE;
    if (file) remote_file_unref(file);
    else remote_close(handle);
    if (fd >= 0) sys_close(fd);
    return -error;
  }
  return fd;
}

int fs_with_remote_handle(const struct remote_file *dir, const char *path, int flags,
                          int (*op)(uint64_t handle, void *ctx), void *ctx) {
  uint64_t handle;
  int rc = remote_open(dir != NULL, dir ? dir->handle : 0, path, flags, 0, &handle);
  if (rc < 0) return rc;
  rc = op(handle, ctx);
  remote_close(handle);
  return rc;
}
