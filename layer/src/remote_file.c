#include "remote_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fs_policy.h"
#include "remote_fs.h"
#include "sys.h"

#define MAX_REMOTE_FILES 1024

static struct remote_file files[MAX_REMOTE_FILES];
static pthread_mutex_t files_lock = PTHREAD_MUTEX_INITIALIZER;

struct remote_file *remote_file_new(uint64_t handle, int flags, const char *path) {
  pthread_mutex_lock(&files_lock);
  struct remote_file *found = NULL;
  for (int i = 0; i < MAX_REMOTE_FILES && !found; i++)
    if (!files[i].in_use) found = &files[i];
  if (found) {
    *found = (struct remote_file){.handle = handle, .flags = flags, .path = strdup(path), .refs = 1,
                                  .owner = sys_getpid(), .in_use = true};
    pthread_mutex_init(&found->lock, NULL);
  }
  pthread_mutex_unlock(&files_lock);
  if (!found) errno = EMFILE;
  return found;
}

void remote_file_ref(struct remote_file *file) {
  pthread_mutex_lock(&files_lock);
  file->refs++;
  pthread_mutex_unlock(&files_lock);
}

void remote_file_unref(struct remote_file *file) {
  pthread_mutex_lock(&files_lock);
  bool last = --file->refs == 0;
  pthread_mutex_unlock(&files_lock);
  if (!last) return;
  if (file->owner == sys_getpid()) remote_close(file->handle);
  if (file->ahead) munmap(file->ahead, file->ahead_cap);
  remote_listing_free(&file->listing);
  free(file->path);
  pthread_mutex_lock(&files_lock);
  file->in_use = false;
  pthread_mutex_unlock(&files_lock);
}

/*
 * Read-ahead window: `readonly_file_buffer` bytes, doubled on every refill that continues where the last
 * one ended (up to one full remote read), so streaming a large file costs few round trips while a
 * certificate read byte by byte costs one.
 */
static size_t window_for(struct remote_file *file, uint64_t offset) {
  size_t base = fs_policy_read_buffer();
  bool sequential = file->ahead_len > 0 && offset == file->ahead_offset + file->ahead_len;
  if (!sequential) return base;
  size_t grown = file->ahead_len * 2 < REMOTE_MAX_IO ? file->ahead_len * 2 : REMOTE_MAX_IO;
  return grown > base ? grown : base;
}

/* Makes room for `size` buffered bytes; false when memory runs out (the read then goes direct). */
static bool reserve(struct remote_file *file, size_t size) {
  if (file->ahead_cap >= size) return true;
  void *buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (buf == MAP_FAILED) return false;
  if (file->ahead) munmap(file->ahead, file->ahead_cap);
  file->ahead = buf;
  file->ahead_cap = size;
  file->ahead_len = 0;
  return true;
}

/* Refills the buffer at `offset`; returns the bytes now buffered there (0 at the end) or -errno. */
static ssize_t refill(struct remote_file *file, size_t window, uint64_t offset) {
  ssize_t got = remote_read_at(file->handle, file->ahead, window, offset);
  if (got < 0) return got;
  file->ahead_offset = offset;
  file->ahead_len = (size_t)got;
  return got;
}

/* Like pread(2) on a regular file: short only at the end of the file. */
static ssize_t pread_locked(struct remote_file *file, void *buf, size_t len, uint64_t offset) {
  bool buffered = (file->flags & O_ACCMODE) == O_RDONLY && fs_policy_read_buffer() > 0;
  size_t done = 0;
  while (done < len) {
    uint64_t at = offset + done;
    size_t want = len - done;
    bool hit = buffered && at >= file->ahead_offset && at < file->ahead_offset + file->ahead_len;
    if (!hit) {
      size_t window = buffered ? window_for(file, at) : 0;
      bool direct = want >= window || !reserve(file, window);
      ssize_t got = direct ? remote_read_at(file->handle, (char *)buf + done, want, at) : refill(file, window, at);
      if (got < 0) return done ? (ssize_t)done : got;
      if (got == 0) break;
      if (direct) {
        done += (size_t)got;
        continue;
      }
    }
    size_t available = file->ahead_offset + file->ahead_len - at;
    size_t n = want < available ? want : available;
    memcpy((char *)buf + done, file->ahead + (at - file->ahead_offset), n);
    done += n;
  }
  return (ssize_t)done;
}

ssize_t remote_file_pread(struct remote_file *file, void *buf, size_t len, uint64_t offset) {
  pthread_mutex_lock(&file->lock);
  ssize_t got = pread_locked(file, buf, len, offset);
  pthread_mutex_unlock(&file->lock);
  return got;
}

ssize_t remote_file_read(struct remote_file *file, void *buf, size_t len) {
  pthread_mutex_lock(&file->lock);
  ssize_t got = pread_locked(file, buf, len, file->offset);
  if (got > 0) file->offset += (uint64_t)got;
  pthread_mutex_unlock(&file->lock);
  return got;
}

static ssize_t pwrite_locked(struct remote_file *file, const void *buf, size_t len, uint64_t offset) {
  file->ahead_len = 0;
  size_t done = 0;
  while (done < len) {
    ssize_t n = remote_write_at(file->handle, (const char *)buf + done, len - done, offset + done);
    if (n < 0) return done ? (ssize_t)done : n;
    if (n == 0) break;
    done += (size_t)n;
  }
  return (ssize_t)done;
}

ssize_t remote_file_pwrite(struct remote_file *file, const void *buf, size_t len, uint64_t offset) {
  pthread_mutex_lock(&file->lock);
  ssize_t n = pwrite_locked(file, buf, len, offset);
  pthread_mutex_unlock(&file->lock);
  return n;
}

ssize_t remote_file_write(struct remote_file *file, const void *buf, size_t len) {
  pthread_mutex_lock(&file->lock);
  ssize_t n;
  if (file->flags & O_APPEND) {
    file->ahead_len = 0;
    n = remote_append(file->handle, buf, len, &file->offset);
  } else {
    n = pwrite_locked(file, buf, len, file->offset);
    if (n > 0) file->offset += (uint64_t)n;
  }
  pthread_mutex_unlock(&file->lock);
  return n;
}

int64_t remote_file_seek(struct remote_file *file, int64_t offset, int whence) {
  pthread_mutex_lock(&file->lock);
  int64_t base;
  switch (whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)file->offset; break;
    case SEEK_END: base = remote_seek_end(file->handle, 0); break;
    default: base = -EINVAL; break;
  }
  int64_t result = base < 0 ? base : (base + offset < 0 ? -EINVAL : base + offset);
  if (result >= 0) file->offset = (uint64_t)result;
  pthread_mutex_unlock(&file->lock);
  return result;
}

int remote_file_truncate(struct remote_file *file, uint64_t length) {
  pthread_mutex_lock(&file->lock);
  file->ahead_len = 0;
  int rc = remote_truncate(file->handle, length);
  pthread_mutex_unlock(&file->lock);
  return rc;
}

#ifdef __linux__
/* The kernel's record: fixed header, the name and its NUL, padded to 8 bytes. */
struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

ssize_t remote_file_getdents(struct remote_file *file, void *buf, size_t len) {
  pthread_mutex_lock(&file->lock);
  ssize_t rc = 0;
  if (file->offset == 0) rc = remote_listing_load(&file->listing, file->handle);
  size_t used = 0;
  while (rc == 0 && file->offset < file->listing.count) {
    const struct dirent *entry = &file->listing.entries[file->offset];
    size_t name_len = strlen(entry->d_name);
    size_t reclen = (offsetof(struct linux_dirent64, d_name) + name_len + 1 + 7) & ~(size_t)7;
    if (used + reclen > len) {
      if (used == 0) rc = -EINVAL; /* the next entry does not fit at all, as the kernel says */
      break;
    }
    struct linux_dirent64 *out = (struct linux_dirent64 *)((char *)buf + used);
    memset(out, 0, reclen);
    out->d_ino = entry->d_ino;
    out->d_off = (int64_t)file->offset + 1;
    out->d_reclen = (unsigned short)reclen;
    out->d_type = entry->d_type;
    memcpy(out->d_name, entry->d_name, name_len);
    used += reclen;
    file->offset++;
  }
  pthread_mutex_unlock(&file->lock);
  return rc < 0 ? rc : (ssize_t)used;
}
#endif
