#include "fs_ops.h"

#include <fcntl.h>
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

int fs_open_remote(bool has_dir, uint64_t dir, const char *path, int flags, mode_t mode) {
  uint64_t handle;
  int rc = remote_open(has_dir, dir, path, flags, mode, &handle);
  if (rc < 0) return rc;
  int fd = placeholder(flags);
  struct remote_file *file = fd >= 0 ? remote_file_new(handle, flags & ~(O_CREAT | O_EXCL | O_TRUNC)) : NULL;
  if (!file || !fdtable_put(fd, file)) {
    int error = fd < 0 ? errno : EMFILE;
    if (file) remote_file_unref(file);
    else remote_close(handle);
    if (fd >= 0) sys_close(fd);
    return -error;
  }
  return fd;
}
