#include "remote_fs.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fs_platform.h"
#include "proxy_client.h"

/* proxy_call, with the agent's errno values (Linux's) turned into this platform's. */
struct call_target {
  proxy_reply_fn on_reply;
  void *ctx;
};

static int platform_reply(const mp_message *reply, void *ctx) {
  const struct call_target *target = ctx;
  if (reply->tag != MP_MSG_ERROR_REPLY) return target->on_reply(reply, target->ctx);
  int linux_errno = reply->u.error_reply.error.errno_;
  return linux_errno > 0 ? -fs_platform_errno(linux_errno) : -EIO;
}

static int call(mp_message *request, proxy_reply_fn on_reply, void *ctx) {
  struct call_target target = {on_reply, ctx};
  return proxy_call_raw(request, platform_reply, &target);
}

static mp_bytes text(const char *s) { return (mp_bytes){(const uint8_t *)s, (uint32_t)strlen(s)}; }

static int expect_ok(const mp_message *reply, void *ctx) {
  (void)ctx;
  return reply->tag == MP_MSG_OK ? 0 : -EPROTO;
}

static int take_u64(const mp_message *reply, void *ctx) {
  uint64_t *out = ctx;
  switch (reply->tag) {
    case MP_MSG_FILE_OPENED: *out = reply->u.file_opened.fd; return 0;
    case MP_MSG_FILE_DIR_OPENED: *out = reply->u.file_dir_opened.dir_fd; return 0;
    case MP_MSG_FILE_SEEKED: *out = reply->u.file_seeked.offset; return 0;
    case MP_MSG_FILE_WRITTEN: *out = reply->u.file_written.written; return 0;
    default: return -EPROTO;
  }
}

int remote_open(bool has_dir, uint64_t dir, const char *path, int flags, mode_t mode, uint64_t *handle) {
  mp_message request = {.tag = MP_MSG_FILE_OPEN};
  request.u.file_open = (mp_msg_file_open){has_dir, dir, text(path), fs_platform_wire_open_flags(flags), mode};
  return call(&request, take_u64, handle);
}

int remote_close(uint64_t handle) {
  mp_message request = {.tag = MP_MSG_FILE_CLOSE};
  request.u.file_close.fd = handle;
  return call(&request, expect_ok, NULL);
}

struct read_target {
  void *buf;
  size_t cap;
};

static int copy_data(const mp_message *reply, void *ctx) {
  struct read_target *target = ctx;
  if (reply->tag != MP_MSG_FILE_DATA) return -EPROTO;
  size_t len = reply->u.file_data.data.len;
  if (len > target->cap) return -EPROTO;
  memcpy(target->buf, reply->u.file_data.data.ptr, len);
  return (int)len;
}

ssize_t remote_read_at(uint64_t handle, void *buf, size_t len, uint64_t offset) {
  if (len > REMOTE_MAX_IO) len = REMOTE_MAX_IO;
  mp_message request = {.tag = MP_MSG_FILE_READ_AT};
  request.u.file_read_at = (mp_msg_file_read_at){handle, (uint32_t)len, offset};
  struct read_target target = {buf, len};
  return call(&request, copy_data, &target);
}

ssize_t remote_write_at(uint64_t handle, const void *buf, size_t len, uint64_t offset) {
  if (len > REMOTE_MAX_IO) len = REMOTE_MAX_IO;
  mp_message request = {.tag = MP_MSG_FILE_WRITE_AT};
  request.u.file_write_at = (mp_msg_file_write_at){handle, offset, {buf, (uint32_t)len}};
  uint64_t written = 0;
  int rc = call(&request, take_u64, &written);
  return rc < 0 ? rc : (ssize_t)written;
}

ssize_t remote_append(uint64_t handle, const void *buf, size_t len, uint64_t *end) {
  if (len > REMOTE_MAX_IO) len = REMOTE_MAX_IO;
  mp_message request = {.tag = MP_MSG_FILE_WRITE};
  request.u.file_write = (mp_msg_file_write){handle, {buf, (uint32_t)len}};
  uint64_t written = 0;
  int rc = call(&request, take_u64, &written);
  if (rc < 0) return rc;
  int64_t after = remote_seek_end(handle, 0);
  if (after >= 0) *end = (uint64_t)after;
  return (ssize_t)written;
}

int64_t remote_seek_end(uint64_t handle, int64_t offset) {
  mp_message request = {.tag = MP_MSG_FILE_SEEK};
  request.u.file_seek = (mp_msg_file_seek){handle, offset, MP_WHENCE_END};
  uint64_t position = 0;
  int rc = call(&request, take_u64, &position);
  return rc < 0 ? rc : (int64_t)position;
}

int remote_truncate(uint64_t handle, uint64_t length) {
  mp_message request = {.tag = MP_MSG_FILE_TRUNCATE};
  request.u.file_truncate = (mp_msg_file_truncate){handle, length};
  return call(&request, expect_ok, NULL);
}

int remote_sync(uint64_t handle, bool data_only) {
  mp_message request = {.tag = MP_MSG_FILE_SYNC};
  request.u.file_sync = (mp_msg_file_sync){handle, data_only};
  return call(&request, expect_ok, NULL);
}

int remote_chmod(uint64_t handle, mode_t mode) {
  mp_message request = {.tag = MP_MSG_FILE_CHMOD};
  request.u.file_chmod = (mp_msg_file_chmod){handle, mode};
  return call(&request, expect_ok, NULL);
}

int remote_chown(uint64_t handle, uid_t uid, gid_t gid) {
  mp_message request = {.tag = MP_MSG_FILE_CHOWN};
  request.u.file_chown = (mp_msg_file_chown){handle, uid, gid};
  return call(&request, expect_ok, NULL);
}

static mp_timespec wire_time(const struct timespec *time) {
  return time ? (mp_timespec){time->tv_sec, (uint32_t)time->tv_nsec} : (mp_timespec){0};
}

int remote_set_times(uint64_t handle, const struct timespec *atime, const struct timespec *mtime) {
  mp_message request = {.tag = MP_MSG_FILE_SET_TIMES};
  request.u.file_set_times =
      (mp_msg_file_set_times){handle, atime != NULL, wire_time(atime), mtime != NULL, wire_time(mtime)};
  return call(&request, expect_ok, NULL);
}

static int copy_metadata(const mp_message *reply, void *ctx) {
  if (reply->tag != MP_MSG_FILE_METADATA) return -EPROTO;
  fs_platform_stat(&reply->u.file_metadata.metadata, ctx);
  return 0;
}

int remote_stat(bool has_handle, uint64_t handle, const char *path, bool follow, struct stat *out) {
  mp_message request = {.tag = MP_MSG_FILE_STAT};
  request.u.file_stat = (mp_msg_file_stat){has_handle, handle, path != NULL, path ? text(path) : (mp_bytes){0},
                                           follow};
  return call(&request, copy_metadata, out);
}

static int copy_statfs(const mp_message *reply, void *ctx) {
  if (reply->tag != MP_MSG_FILE_STAT_FS_RESULT) return -EPROTO;
  *(mp_stat_fs *)ctx = reply->u.file_stat_fs_result.statfs;
  return 0;
}

int remote_statfs(bool has_handle, uint64_t handle, const char *path, mp_stat_fs *out) {
  mp_message request = {.tag = MP_MSG_FILE_STAT_FS};
  request.u.file_stat_fs = (mp_msg_file_stat_fs){has_handle, handle, path != NULL, path ? text(path) : (mp_bytes){0}};
  return call(&request, copy_statfs, out);
}

int remote_access(const char *path, int mode, int flags) {
  mp_message request = {.tag = MP_MSG_FILE_ACCESS};
  request.u.file_access = (mp_msg_file_access){false, 0, text(path), (uint32_t)mode, fs_platform_wire_at_flags(flags)};
  return call(&request, expect_ok, NULL);
}

struct path_target {
  char *buf;
  size_t cap;
  bool terminate;
};

static int copy_path(const mp_message *reply, void *ctx) {
  struct path_target *target = ctx;
  if (reply->tag != MP_MSG_FILE_PATH) return -EPROTO;
  size_t len = reply->u.file_path.path.len;
  if (target->terminate) {
    if (len + 1 > target->cap) return -ENAMETOOLONG;
    target->buf[len] = '\0';
  } else if (len > target->cap) {
    len = target->cap; /* readlink truncates silently */
  }
  memcpy(target->buf, reply->u.file_path.path.ptr, len);
  return (int)len;
}

ssize_t remote_readlink(const char *path, char *buf, size_t len) {
  mp_message request = {.tag = MP_MSG_FILE_READ_LINK};
  request.u.file_read_link.path = text(path);
  struct path_target target = {buf, len, false};
  return call(&request, copy_path, &target);
}

int remote_realpath(const char *path, char *out, size_t len) {
  mp_message request = {.tag = MP_MSG_FILE_REAL_PATH};
  request.u.file_real_path.path = text(path);
  struct path_target target = {out, len, true};
  int rc = call(&request, copy_path, &target);
  return rc < 0 ? rc : 0;
}

int remote_mkdir(bool has_dir, uint64_t dir, const char *path, mode_t mode) {
  mp_message request = {.tag = MP_MSG_FILE_MKDIR};
  request.u.file_mkdir = (mp_msg_file_mkdir){has_dir, dir, text(path), mode};
  return call(&request, expect_ok, NULL);
}

int remote_rmdir(const char *path) {
  mp_message request = {.tag = MP_MSG_FILE_RMDIR};
  request.u.file_rmdir.path = text(path);
  return call(&request, expect_ok, NULL);
}

int remote_unlink(bool has_dir, uint64_t dir, const char *path, int flags) {
  mp_message request = {.tag = MP_MSG_FILE_UNLINK};
  request.u.file_unlink = (mp_msg_file_unlink){has_dir, dir, text(path), fs_platform_wire_at_flags(flags)};
  return call(&request, expect_ok, NULL);
}

int remote_rename(const char *from, const char *to) {
  mp_message request = {.tag = MP_MSG_FILE_RENAME};
  request.u.file_rename = (mp_msg_file_rename){text(from), text(to)};
  return call(&request, expect_ok, NULL);
}

int remote_opendir(uint64_t handle, uint64_t *dir) {
  mp_message request = {.tag = MP_MSG_FILE_OPEN_DIR};
  request.u.file_open_dir.fd = handle;
  return call(&request, take_u64, dir);
}

struct batch_target {
  void (*each)(const mp_dir_entry *, void *);
  void *ctx;
};

static int walk_entries(const mp_message *reply, void *ctx) {
  struct batch_target *target = ctx;
  if (reply->tag != MP_MSG_FILE_DIR_ENTRIES) return -EPROTO;
  for (uint32_t i = 0; i < reply->u.file_dir_entries.entries.count; i++)
    target->each(&reply->u.file_dir_entries.entries.items[i], target->ctx);
  return (int)reply->u.file_dir_entries.entries.count;
}

int remote_readdir_batch(uint64_t dir, uint32_t max, void (*each)(const mp_dir_entry *, void *), void *ctx) {
  mp_message request = {.tag = MP_MSG_FILE_READ_DIR_BATCH};
  request.u.file_read_dir_batch = (mp_msg_file_read_dir_batch){dir, max};
  struct batch_target target = {each, ctx};
  return call(&request, walk_entries, &target);
}

int remote_closedir(uint64_t dir) {
  mp_message request = {.tag = MP_MSG_FILE_CLOSE_DIR};
  request.u.file_close_dir.dir_fd = dir;
  return call(&request, expect_ok, NULL);
}
