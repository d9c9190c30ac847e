/*
 * An open remote file as the layer sees it: the agent's handle, the flags the program opened it
 * with, the offset (kept here, so every transfer is positional and read-ahead stays correct), and the
 * read-ahead buffer. Shared by every duplicate of the local placeholder fd; the last one to go closes
 * the handle in the agent.
 */
#ifndef MIRRORD_LAYER_REMOTE_FILE_H
#define MIRRORD_LAYER_REMOTE_FILE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "remote_listing.h"

struct remote_file {
  uint64_t handle;
  int flags;
  /* The pod path it was opened as (fchdir and getdents64 need it); NULL when out of memory. */
  char *path;
  int refs;
  /* Only the process that opened it closes the agent's handle; a forked child's copies never do. */
  pid_t owner;
  pthread_mutex_t lock;
  uint64_t offset;
  char *ahead;
  size_t ahead_cap, ahead_len;
  uint64_t ahead_offset;
  /* getdents64 on a directory: the entries, loaded when it starts at offset 0 (the offset counts
   * entries, so lseek(fd, 0, SEEK_SET) starts over with a fresh listing). */
  struct remote_listing listing;
  bool in_use;
};

/* A new file with one reference, or NULL (errno EMFILE) when the layer's table is full. */
struct remote_file *remote_file_new(uint64_t handle, int flags, const char *path);
void remote_file_ref(struct remote_file *file);
/* Drops one reference; the last one closes the remote handle. */
void remote_file_unref(struct remote_file *file);

/* Same contracts as read/pread/write/pwrite/lseek, returning -errno on failure. */
ssize_t remote_file_read(struct remote_file *file, void *buf, size_t len);
ssize_t remote_file_pread(struct remote_file *file, void *buf, size_t len, uint64_t offset);
ssize_t remote_file_write(struct remote_file *file, const void *buf, size_t len);
ssize_t remote_file_pwrite(struct remote_file *file, const void *buf, size_t len, uint64_t offset);
int64_t remote_file_seek(struct remote_file *file, int64_t offset, int whence);
int remote_file_truncate(struct remote_file *file, uint64_t length);
#ifdef __linux__
/* Like getdents64(2): fills `buf` with linux_dirent64 records from the file's offset; bytes, 0 at the end. */
ssize_t remote_file_getdents(struct remote_file *file, void *buf, size_t len);
#endif

#endif
