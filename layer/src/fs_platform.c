#include "fs_platform.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "real_fs.h"

void fs_platform_dirent(struct dirent *out, const mp_dir_entry *entry) {
  size_t len = entry->name.len < sizeof(out->d_name) - 1 ? entry->name.len : sizeof(out->d_name) - 1;
  out->d_ino = entry->ino;
  out->d_reclen = sizeof(*out);
  out->d_type = entry->file_type;
#ifdef __APPLE__
  out->d_seekoff = (uint64_t)entry->offset;
  out->d_namlen = (uint16_t)len;
#else
  out->d_off = entry->offset;
#endif
  memcpy(out->d_name, entry->name.ptr, len);
  out->d_name[len] = '\0';
}

#ifdef __APPLE__

#include <mach-o/dyld.h>
#include <sys/mount.h>

bool fs_platform_takes_mode(int flags) { return (flags & O_CREAT) != 0; }

/* libSystem's getcwd opens "." and asks F_GETPATH; inside the layer's guard those calls bypass. */
bool fs_platform_real_cwd(char *out, size_t cap) { return REAL_FS(getcwd)(out, cap) != NULL; }

long fs_platform_executable(char *out, size_t cap) {
  char raw[PATH_MAX];
  uint32_t size = sizeof(raw);
  char resolved[PATH_MAX];
  if (_NSGetExecutablePath(raw, &size) != 0 || !REAL_FS(realpath)(raw, resolved)) return -1;
  size_t len = strlen(resolved);
  if (len >= cap) return -1;
  memcpy(out, resolved, len + 1);
  return (long)len;
}

void fs_platform_stat(const mp_metadata *in, struct stat *out) {
  memset(out, 0, sizeof(*out));
  out->st_dev = (dev_t)in->dev;
  out->st_ino = in->ino;
  out->st_mode = (mode_t)in->mode;
  out->st_nlink = (nlink_t)in->nlink;
  out->st_uid = in->uid;
  out->st_gid = in->gid;
  out->st_rdev = (dev_t)in->rdev;
  out->st_size = in->size;
  out->st_blksize = (blksize_t)in->blksize;
  out->st_blocks = in->blocks;
  out->st_atimespec = (struct timespec){in->atime.sec, in->atime.nsec};
  out->st_mtimespec = (struct timespec){in->mtime.sec, in->mtime.nsec};
  out->st_ctimespec = (struct timespec){in->ctime.sec, in->ctime.nsec};
  out->st_birthtimespec = out->st_ctimespec; /* Linux reports no birth time through the agent */
}

/* Linux's ST_RDONLY / ST_NOSUID (statfs f_flags) as macOS mount flags. */
enum { LINUX_ST_RDONLY = 1, LINUX_ST_NOSUID = 2 };

void fs_platform_statfs(const mp_stat_fs *in, struct statfs *out) {
  memset(out, 0, sizeof(*out));
  out->f_type = (uint32_t)in->fs_type;
  out->f_bsize = (uint32_t)in->bsize;
  out->f_iosize = (int32_t)in->bsize;
  out->f_blocks = in->blocks;
  out->f_bfree = in->bfree;
  out->f_bavail = in->bavail;
  out->f_files = in->files;
  out->f_ffree = in->ffree;
  memcpy(&out->f_fsid, &in->fsid, sizeof(out->f_fsid) < 8 ? sizeof(out->f_fsid) : 8);
  out->f_flags = ((in->flags & LINUX_ST_RDONLY) ? MNT_RDONLY : 0) | ((in->flags & LINUX_ST_NOSUID) ? MNT_NOSUID : 0);
}

void fs_platform_statvfs(const mp_stat_fs *in, struct statvfs *out) {
  memset(out, 0, sizeof(*out));
  out->f_bsize = (unsigned long)in->bsize;
  out->f_frsize = (unsigned long)(in->frsize ? in->frsize : in->bsize);
  out->f_blocks = (fsblkcnt_t)in->blocks;
  out->f_bfree = (fsblkcnt_t)in->bfree;
  out->f_bavail = (fsblkcnt_t)in->bavail;
  out->f_files = (fsfilcnt_t)in->files;
  out->f_ffree = (fsfilcnt_t)in->ffree;
  out->f_favail = (fsfilcnt_t)in->ffree;
  out->f_fsid = (unsigned long)in->fsid;
  out->f_flag = ((in->flags & LINUX_ST_RDONLY) ? ST_RDONLY : 0) | ((in->flags & LINUX_ST_NOSUID) ? ST_NOSUID : 0);
  out->f_namemax = (unsigned long)in->namelen;
}

static int stream_read(void *cookie, char *buf, int len) { return (int)read((int)(intptr_t)cookie, buf, (size_t)len); }
static int stream_write(void *cookie, const char *buf, int len) {
  return (int)write((int)(intptr_t)cookie, buf, (size_t)len);
}
static fpos_t stream_seek(void *cookie, fpos_t offset, int whence) { return lseek((int)(intptr_t)cookie, offset, whence); }
static int stream_close(void *cookie) { return close((int)(intptr_t)cookie); }

FILE *fs_platform_stream(int fd, const char *mode) {
  bool update = strchr(mode, '+') != NULL;
  bool readable = mode[0] == 'r' || update, writable = mode[0] != 'r' || update;
  return funopen((void *)(intptr_t)fd, readable ? stream_read : NULL, writable ? stream_write : NULL, stream_seek,
                 stream_close);
}

/* Linux's errno numbers (asm-generic/errno*.h, a stable ABI) of what the agent reports. */
int fs_platform_errno(int linux_errno) {
  if (linux_errno > 0 && linux_errno <= 34 && linux_errno != 11) return linux_errno; /* EPERM…ERANGE agree */
  switch (linux_errno) {
    case 11: return EAGAIN;
    case 35: return EDEADLK;
    case 36: return ENAMETOOLONG;
    case 37: return ENOLCK;
    case 38: return ENOSYS;
    case 39: return ENOTEMPTY;
    case 40: return ELOOP;
    case 61: return ENODATA;
    case 71: return EPROTO;
    case 75: return EOVERFLOW;
    case 84: return EILSEQ;
    case 95: return ENOTSUP;
    case 110: return ETIMEDOUT;
    case 116: return ESTALE;
    case 122: return EDQUOT;
    case 125: return ECANCELED;
    default: return EIO;
  }
}

/* Linux's open(2) flag values (asm-generic/fcntl.h). */
enum {
  LINUX_O_WRONLY = 01, LINUX_O_RDWR = 02, LINUX_O_CREAT = 0100, LINUX_O_EXCL = 0200, LINUX_O_NOCTTY = 0400,
  LINUX_O_TRUNC = 01000, LINUX_O_APPEND = 02000, LINUX_O_NONBLOCK = 04000, LINUX_O_DSYNC = 010000,
  LINUX_O_DIRECTORY = 0200000, LINUX_O_NOFOLLOW = 0400000, LINUX_O_CLOEXEC = 02000000, LINUX_O_SYNC = 04010000,
  LINUX_O_PATH = 010000000,
};

int fs_platform_wire_open_flags(int flags) {
  static const struct {
    int local, linux;
  } bits[] = {
      {O_CREAT, LINUX_O_CREAT},         {O_EXCL, LINUX_O_EXCL},         {O_NOCTTY, LINUX_O_NOCTTY},
      {O_TRUNC, LINUX_O_TRUNC},         {O_APPEND, LINUX_O_APPEND},     {O_NONBLOCK, LINUX_O_NONBLOCK},
      {O_DSYNC, LINUX_O_DSYNC},         {O_SYNC, LINUX_O_SYNC},         {O_DIRECTORY, LINUX_O_DIRECTORY},
      {O_NOFOLLOW, LINUX_O_NOFOLLOW},   {O_CLOEXEC, LINUX_O_CLOEXEC},   {FS_O_PATH, LINUX_O_PATH},
  };
  int access = flags & O_ACCMODE;
  int wire = access == O_WRONLY ? LINUX_O_WRONLY : access == O_RDWR ? LINUX_O_RDWR : 0;
  for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
    if ((flags & bits[i].local) == bits[i].local) wire |= bits[i].linux;
  return wire;
}

/* Linux's AT_* values (linux/fcntl.h). */
enum { LINUX_AT_SYMLINK_NOFOLLOW = 0x100, LINUX_AT_REMOVEDIR = 0x200, LINUX_AT_EACCESS = 0x200 };

int fs_platform_wire_at_flags(int flags) {
  int wire = 0;
  if (flags & AT_SYMLINK_NOFOLLOW) wire |= LINUX_AT_SYMLINK_NOFOLLOW;
  if (flags & (AT_REMOVEDIR | AT_EACCESS)) wire |= LINUX_AT_REMOVEDIR; /* one bit on Linux: unlinkat or faccessat */
  return wire;
}

#else

bool fs_platform_takes_mode(int flags) { return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE; }

bool fs_platform_real_cwd(char *out, size_t cap) { return syscall(SYS_getcwd, out, cap) > 0; }

long fs_platform_executable(char *out, size_t cap) {
  long len = syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", out, cap - 1);
  if (len > 0) out[len] = '\0';
  return len > 0 ? len : -1;
}

void fs_platform_stat(const mp_metadata *in, struct stat *out) {
  memset(out, 0, sizeof(*out));
  out->st_dev = in->dev;
  out->st_ino = in->ino;
  out->st_mode = in->mode;
  out->st_nlink = in->nlink;
  out->st_uid = in->uid;
  out->st_gid = in->gid;
  out->st_rdev = in->rdev;
  out->st_size = in->size;
  out->st_blksize = in->blksize;
  out->st_blocks = in->blocks;
  out->st_atim = (struct timespec){in->atime.sec, in->atime.nsec};
  out->st_mtim = (struct timespec){in->mtime.sec, in->mtime.nsec};
  out->st_ctim = (struct timespec){in->ctime.sec, in->ctime.nsec};
}

void fs_platform_statfs(const mp_stat_fs *in, struct statfs *out) {
  memset(out, 0, sizeof(*out));
  out->f_type = in->fs_type;
  out->f_bsize = in->bsize;
  out->f_blocks = in->blocks;
  out->f_bfree = in->bfree;
  out->f_bavail = in->bavail;
  out->f_files = in->files;
  out->f_ffree = in->ffree;
  memcpy(&out->f_fsid, &in->fsid, sizeof(out->f_fsid) < 8 ? sizeof(out->f_fsid) : 8);
  out->f_namelen = in->namelen;
  out->f_frsize = in->frsize;
  out->f_flags = in->flags;
}

/* ST_VALID (0x20) only means something to statfs. */
void fs_platform_statvfs(const mp_stat_fs *in, struct statvfs *out) {
  struct statfs fs;
  fs_platform_statfs(in, &fs);
  memset(out, 0, sizeof(*out));
  out->f_bsize = (unsigned long)fs.f_bsize;
  out->f_frsize = (unsigned long)(fs.f_frsize ? fs.f_frsize : fs.f_bsize);
  out->f_blocks = fs.f_blocks;
  out->f_bfree = fs.f_bfree;
  out->f_bavail = fs.f_bavail;
  out->f_files = fs.f_files;
  out->f_ffree = fs.f_ffree;
  out->f_favail = fs.f_ffree;
  memcpy(&out->f_fsid, &fs.f_fsid, sizeof(out->f_fsid) < sizeof(fs.f_fsid) ? sizeof(out->f_fsid) : sizeof(fs.f_fsid));
  out->f_flag = (unsigned long)fs.f_flags & ~(unsigned long)0x20;
  out->f_namemax = (unsigned long)fs.f_namelen;
}

static ssize_t stream_read(void *cookie, char *buf, size_t len) { return read((int)(intptr_t)cookie, buf, len); }
static ssize_t stream_write(void *cookie, const char *buf, size_t len) {
  ssize_t n = write((int)(intptr_t)cookie, buf, len);
  return n < 0 ? 0 : n; /* fopencookie: 0 means error */
}
static int stream_seek(void *cookie, off64_t *offset, int whence) {
  off64_t at = lseek64((int)(intptr_t)cookie, *offset, whence);
  if (at < 0) return -1;
  *offset = at;
  return 0;
}
static int stream_close(void *cookie) { return close((int)(intptr_t)cookie); }

FILE *fs_platform_stream(int fd, const char *mode) {
  cookie_io_functions_t io = {stream_read, stream_write, stream_seek, stream_close};
  return fopencookie((void *)(intptr_t)fd, mode, io);
}

int fs_platform_errno(int linux_errno) { return linux_errno; }
int fs_platform_wire_open_flags(int flags) { return flags; }
int fs_platform_wire_at_flags(int flags) { return flags; }

#endif
