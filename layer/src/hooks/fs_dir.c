/*
 * Directory streams over remote directories: opendir/fdopendir load the listing from the agent; the
 * DIR* handed out points into the layer's own table, so every DIR function checks it first.
 */
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "../fs_ops.h"
#include "../layer.h"
#include "../real_fs.h"
#include "../remote_fs.h"
#include "../remote_listing.h"

#define MAX_REMOTE_DIRS 256

struct remote_dir {
  bool in_use;
  int fd; /* the placeholder fd of the directory (dirfd returns it; closedir closes it) */
  struct remote_listing listing;
  size_t position;
};

static struct remote_dir dirs[MAX_REMOTE_DIRS];
static pthread_mutex_t dirs_lock = PTHREAD_MUTEX_INITIALIZER;

static struct remote_dir *remote_dir_of(DIR *dir) {
  struct remote_dir *d = (struct remote_dir *)dir;
  if (d < dirs || d >= dirs + MAX_REMOTE_DIRS || !d->in_use) return NULL;
  return d;
}

/* (Re)loads the listing of the remote directory behind d->fd. */
static int load_entries(struct remote_dir *d) {
  struct remote_file *file = fdtable_get(d->fd);
  if (!file) return -EBADF;
  d->position = 0;
  return remote_listing_load(&d->listing, file->handle);
}

static void release(struct remote_dir *d) {
  remote_listing_free(&d->listing);
  pthread_mutex_lock(&dirs_lock);
  *d = (struct remote_dir){0};
  pthread_mutex_unlock(&dirs_lock);
}

/* A stream over the remote directory behind `fd` (taking the fd over), or NULL with errno. */
static DIR *stream_of(int fd) {
  struct remote_dir *d = NULL;
  pthread_mutex_lock(&dirs_lock);
  for (int i = 0; i < MAX_REMOTE_DIRS && !d; i++)
    if (!dirs[i].in_use) d = &dirs[i];
  if (d) *d = (struct remote_dir){.in_use = true, .fd = fd};
  pthread_mutex_unlock(&dirs_lock);
  if (!d) {
    errno = EMFILE;
    return NULL;
  }
  int rc = load_entries(d);
  if (rc < 0) {
    release(d);
    errno = -rc;
    return NULL;
  }
  return (DIR *)d;
}

LAYER_EXPORT DIR *opendir(const char *path) {
  if (!path || !fs_enter()) return REAL_FS(opendir)(path);
  int saved_errno = errno;
  struct fs_path routed;
  fs_route_path(&routed, path, false);
  DIR *dir = NULL;
  int error = 0;
  if (routed.route == FS_ROUTE_NOT_FOUND) {
    error = ENOENT;
  } else if (routed.route == FS_ROUTE_REMOTE) {
    int fd = fs_open_remote(NULL, routed.resolved, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) error = -fd;
    else if (!(dir = stream_of(fd))) {
      error = errno;
      fdtable_forget(fd);
      REAL_FS(close)(fd);
    }
  }
  fs_leave();
  errno = saved_errno;
  if (routed.route == FS_ROUTE_LOCAL) return REAL_FS(opendir)(routed.local);
  if (!dir) errno = error;
  return dir;
}

LAYER_EXPORT DIR *fdopendir(int fd) {
  struct remote_file *file = fs_remote_fd(fd);
  if (!file || !guard_enter()) return REAL_FS(fdopendir)(fd);
  int saved_errno = errno;
  DIR *dir = stream_of(fd);
  int error = errno;
  guard_leave();
  errno = dir ? saved_errno : error;
  return dir;
}

static struct dirent *next_entry(struct remote_dir *d) {
  return d->position < d->listing.count ? &d->listing.entries[d->position++] : NULL;
}

LAYER_EXPORT struct dirent *readdir(DIR *dir) {
  struct remote_dir *d = remote_dir_of(dir);
  return d ? next_entry(d) : REAL_FS(readdir)(dir);
}

LAYER_EXPORT int readdir_r(DIR *dir, struct dirent *entry, struct dirent **result) {
  struct remote_dir *d = remote_dir_of(dir);
  if (!d) return REAL_FS(readdir_r)(dir, entry, result);
  struct dirent *next = next_entry(d);
  if (next) memcpy(entry, next, sizeof(*entry));
  *result = next ? entry : NULL;
  return 0;
}

LAYER_EXPORT int closedir(DIR *dir) {
  struct remote_dir *d = remote_dir_of(dir);
  if (!d) return REAL_FS(closedir)(dir);
  int fd = d->fd;
  release(d);
  return close(fd);
}

LAYER_EXPORT int dirfd(DIR *dir) {
  struct remote_dir *d = remote_dir_of(dir);
  return d ? d->fd : REAL_FS(dirfd)(dir);
}

LAYER_EXPORT void rewinddir(DIR *dir) {
  struct remote_dir *d = remote_dir_of(dir);
  if (!d) {
    REAL_FS(rewinddir)(dir);
    return;
  }
  if (!guard_enter()) return;
  int saved_errno = errno;
  load_entries(d);
  guard_leave();
  errno = saved_errno;
}

LAYER_EXPORT long telldir(DIR *dir) {
  struct remote_dir *d = remote_dir_of(dir);
  return d ? (long)d->position : REAL_FS(telldir)(dir);
}

LAYER_EXPORT void seekdir(DIR *dir, long position) {
  struct remote_dir *d = remote_dir_of(dir);
  if (!d) REAL_FS(seekdir)(dir, position);
  else if (position >= 0 && (size_t)position <= d->listing.count) d->position = (size_t)position;
}

typedef int (*dirent_filter)(const struct dirent *);
typedef int (*dirent_compare)(const struct dirent **, const struct dirent **);

/* scandir over a remote stream: glibc's own scandir opens directories internally, out of our reach. */
static int scan_stream(DIR *dir, struct dirent ***names, dirent_filter filter, dirent_compare compare) {
  struct remote_dir *d = remote_dir_of(dir);
  struct dirent **list = malloc((d->listing.count ? d->listing.count : 1) * sizeof(*list));
  if (!list) {
    closedir(dir);
    errno = ENOMEM;
    return -1;
  }
  size_t kept = 0;
  for (size_t i = 0; i < d->listing.count; i++) {
    struct dirent *entry = &d->listing.entries[i];
    if (filter && !filter(entry)) continue;
    struct dirent *copy = malloc(sizeof(*copy));
    if (!copy) {
      while (kept) free(list[--kept]);
      free(list);
      closedir(dir);
      errno = ENOMEM;
      return -1;
    }
    memcpy(copy, entry, sizeof(*copy));
    list[kept++] = copy;
  }
  closedir(dir);
  if (compare) qsort(list, kept, sizeof(*list), (int (*)(const void *, const void *))compare);
  *names = list;
  return (int)kept;
}

LAYER_EXPORT int scandir(const char *path, struct dirent ***names, dirent_filter filter, dirent_compare compare) {
  if (!fs_policy_active()) return REAL_FS(scandir)(path, names, filter, compare);
  DIR *dir = opendir(path);
  if (!dir) return -1;
  if (!remote_dir_of(dir)) {
    closedir(dir);
    return REAL_FS(scandir)(path, names, filter, compare);
  }
  return scan_stream(dir, names, filter, compare);
}

/* glibc's own entry points: the dirent64 twins (the same records on 64-bit Linux) and getdents64. */
#ifdef __GLIBC__
_Static_assert(sizeof(struct dirent) == sizeof(struct dirent64), "dirent64 is dirent on 64-bit Linux");

LAYER_EXPORT struct dirent64 *readdir64(DIR *dir) {
  struct remote_dir *d = remote_dir_of(dir);
  return d ? (struct dirent64 *)next_entry(d) : REAL_FS(readdir64)(dir);
}

LAYER_EXPORT int readdir64_r(DIR *dir, struct dirent64 *entry, struct dirent64 **result) {
  return readdir_r(dir, (struct dirent *)entry, (struct dirent **)result);
}

LAYER_EXPORT int scandir64(const char *path, struct dirent64 ***names, int (*filter)(const struct dirent64 *),
                           int (*compare)(const struct dirent64 **, const struct dirent64 **)) {
  return scandir(path, (struct dirent ***)names, (dirent_filter)filter, (dirent_compare)compare);
}

/* getdents64 on a remote directory fd (glibc >= 2.30 exports it; readdir does not come through here). */
LAYER_EXPORT ssize_t getdents64(int fd, void *buf, size_t len) {
  struct remote_file *file = fs_remote_fd(fd);
  if (!file || !guard_enter()) return REAL_FS(getdents64)(fd, buf, len);
  int saved_errno = errno;
  ssize_t rc = remote_file_getdents(file, buf, len);
  guard_leave();
  errno = saved_errno;
  return (ssize_t)fs_result(rc);
}
#endif
