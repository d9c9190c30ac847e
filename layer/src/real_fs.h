/* The real libc file functions the fs hooks fall back to, looked up once like real.h's. */
#ifndef MIRRORD_LAYER_REAL_FS_H
#define MIRRORD_LAYER_REAL_FS_H

/* glibc declares path arguments nonnull, but programs do pass NULL and a hook must not crash on it;
 * readdir_r is deprecated, yet programs still call it. */
#pragma GCC diagnostic ignored "-Wnonnull-compare"
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>
#include <utime.h>

/* Every platform's entry points, then glibc's own: its *64 twins, fortified (__*_chk) and pre-2.33 stat
 * (__xstat) entry points, statx, getdents64, syscall. macOS has none of those (its 64-bit-inode forms,
 * stat$INODE64 and friends on x86_64, are what its headers already name `stat`). */
#define REAL_FS_PORTABLE(X)                                                                                   \
  X(open) X(openat) X(creat) X(close) X(read) X(pread) X(readv) X(preadv) X(write) X(pwrite) X(writev)       \
  X(pwritev) X(lseek) X(dup) X(dup2) X(fcntl) X(fsync) X(ftruncate) X(mmap) X(stat) X(lstat) X(fstat)      \
  X(fstatat) X(access) X(faccessat) X(statfs) X(fstatfs) X(statvfs) X(fstatvfs) X(readlink) X(readlinkat)   \
  X(realpath) X(opendir) X(fdopendir) X(readdir) X(readdir_r) X(closedir) X(dirfd) X(rewinddir) X(telldir)  \
  X(seekdir) X(scandir) X(mkdir) X(mkdirat) X(rmdir) X(unlink) X(unlinkat) X(rename) X(renameat) X(fopen)   \
  X(fdopen) X(truncate) X(chmod) X(fchmod) X(fchmodat) X(chown) X(lchown) X(fchown) X(fchownat)  \
  X(utimensat) X(futimens) X(utimes) X(utime) X(chdir) X(fchdir) X(getcwd)

#ifdef __GLIBC__
/* Symbols glibc exports without declaring them in its headers (fortified and pre-2.33 stat entry points). */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
int __xstat(int ver, const char *path, struct stat *buf);
int __xstat64(int ver, const char *path, struct stat64 *buf);
int __lxstat(int ver, const char *path, struct stat *buf);
int __lxstat64(int ver, const char *path, struct stat64 *buf);
int __fxstat(int ver, int fd, struct stat *buf);
int __fxstat64(int ver, int fd, struct stat64 *buf);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *buf, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *buf, int flags);
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t len, off_t offset, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t len, off64_t offset, size_t buflen);
ssize_t __readlink_chk(const char *path, char *buf, size_t len, size_t buflen);
char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen);
char *__getcwd_chk(char *buf, size_t size, size_t buflen);

#define REAL_FS_GLIBC(X)                                                                                     \
  X(open64) X(openat64) X(creat64) X(__open_2) X(__open64_2) X(__openat_2) X(__openat64_2) X(__read_chk)    \
  X(pread64) X(__pread_chk) X(__pread64_chk) X(preadv64) X(pwrite64) X(pwritev64) X(lseek64) X(dup3)        \
  X(fcntl64) X(fdatasync) X(ftruncate64) X(mmap64) X(stat64) X(lstat64) X(fstat64) X(fstatat64) X(__xstat)  \
  X(__xstat64) X(__lxstat) X(__lxstat64) X(__fxstat) X(__fxstat64) X(__fxstatat) X(__fxstatat64) X(statx)   \
  X(statfs64) X(fstatfs64) X(statvfs64) X(fstatvfs64) X(__readlink_chk) X(__realpath_chk) X(readdir64)      \
  X(readdir64_r) X(scandir64) X(fopen64) X(freopen) X(freopen64) X(syscall) X(getdents64) X(truncate64) X(__getcwd_chk)
#define REAL_FS_FUNCTIONS(X) REAL_FS_PORTABLE(X) REAL_FS_GLIBC(X)
#else
#define REAL_FS_FUNCTIONS(X) REAL_FS_PORTABLE(X)
#endif

struct real_fs_functions {
#define REAL_FS_FIELD(name) __typeof__(name) *name;
  REAL_FS_FUNCTIONS(REAL_FS_FIELD)
#undef REAL_FS_FIELD
};

extern struct real_fs_functions real_fs;

/* Called from real_resolve(), i.e. by the constructor (dlsym is not async-signal-safe). */
void real_fs_resolve(void);

#define REAL_FS(name) (real_fs.name ? real_fs.name : (real_fs_resolve(), real_fs.name))

#endif
