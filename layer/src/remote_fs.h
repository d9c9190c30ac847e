/*
 * The file requests the layer sends through the intproxy to the agent, one function per operation.
 * Each returns >= 0 on success or -errno as the agent reported it (the pod's errno, in this platform's
 * numbering; flags go to the agent as Linux's: fs_platform.h).
 * Handles are the agent's; paths are absolute paths in the target's filesystem.
 */
#ifndef MIRRORD_LAYER_REMOTE_FS_H
#define MIRRORD_LAYER_REMOTE_FS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "protocol/mp_protocol.h"

/* The agent serves at most this much per read request; a bigger read returns short. */
#define REMOTE_MAX_IO (1024 * 1024)

/* Opens `path` (relative to the remote directory `dir` when has_dir). */
int remote_open(bool has_dir, uint64_t dir, const char *path, int flags, mode_t mode, uint64_t *handle);
int remote_close(uint64_t handle);
ssize_t remote_read_at(uint64_t handle, void *buf, size_t len, uint64_t offset);
ssize_t remote_write_at(uint64_t handle, const void *buf, size_t len, uint64_t offset);
/* Writes at the end of the file (O_APPEND); `*end` receives the offset after the write. */
ssize_t remote_append(uint64_t handle, const void *buf, size_t len, uint64_t *end);
/* SEEK_END needs the remote size: returns the new absolute offset. */
int64_t remote_seek_end(uint64_t handle, int64_t offset);
int remote_truncate(uint64_t handle, uint64_t length);
int remote_sync(uint64_t handle, bool data_only);
int remote_chmod(uint64_t handle, mode_t mode);
/* (uid_t)-1 / (gid_t)-1 leave that id unchanged, as for chown(2). */
int remote_chown(uint64_t handle, uid_t uid, gid_t gid);
/* NULL leaves that time unchanged (UTIME_OMIT). */
int remote_set_times(uint64_t handle, const struct timespec *atime, const struct timespec *mtime);

/* stat by handle (has_handle), by path, or by path relative to a remote directory handle. */
int remote_stat(bool has_handle, uint64_t handle, const char *path, bool follow, struct stat *out);
int remote_statfs(bool has_handle, uint64_t handle, const char *path, mp_stat_fs *out);
int remote_access(const char *path, int mode, int flags);
ssize_t remote_readlink(const char *path, char *buf, size_t len);
int remote_realpath(const char *path, char *out, size_t len);
int remote_mkdir(bool has_dir, uint64_t dir, const char *path, mode_t mode);
int remote_rmdir(const char *path);
int remote_unlink(bool has_dir, uint64_t dir, const char *path, int flags);
int remote_rename(const char *from, const char *to);

/* Directory streams: a directory handle from an open file handle, then entries in batches. */
int remote_opendir(uint64_t handle, uint64_t *dir);
/* Calls `each` per entry of the next batch; returns the count (0 at the end) or -errno. */
int remote_readdir_batch(uint64_t dir, uint32_t max, void (*each)(const mp_dir_entry *, void *), void *ctx);
int remote_closedir(uint64_t dir);

#endif
