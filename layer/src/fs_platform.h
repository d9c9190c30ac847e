/*
 * The file facts whose Linux and macOS forms differ, each in one place, so every file operation keeps
 * one code path: the layout of struct stat / statfs / statvfs / dirent (filled by field name from the
 * platform's own headers), the real cwd and executable, the FILE built over a remote fd, and the agent's
 * Linux values (errno, open(2) and *at flags) against the platform's. On Linux every translation is the
 * identity.
 */
#ifndef MIRRORD_LAYER_FS_PLATFORM_H
#define MIRRORD_LAYER_FS_PLATFORM_H

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include "protocol/mp_protocol.h"

#ifdef __APPLE__
/* macOS has no O_PATH; O_EVTONLY (an open that needs no read permission) is its nearest, and goes to
 * the agent as O_PATH. */
#define FS_O_PATH O_EVTONLY
/* Nor AT_EMPTY_PATH: an empty path never names a remote fd there. */
#define AT_EMPTY_PATH 0
#else
#define FS_O_PATH O_PATH
#endif

/* Whether open(2) with `flags` takes a mode argument (O_CREAT, and Linux's O_TMPFILE). */
bool fs_platform_takes_mode(int flags);

/* The process's real working directory, past the hooks; false when it cannot be had. */
bool fs_platform_real_cwd(char *out, size_t cap);

/* The absolute path of the running executable into `out`; its length, or -1. */
long fs_platform_executable(char *out, size_t cap);

void fs_platform_stat(const mp_metadata *in, struct stat *out);
void fs_platform_statfs(const mp_stat_fs *in, struct statfs *out);
void fs_platform_statvfs(const mp_stat_fs *in, struct statvfs *out);

/* One readdir record: the name is cut to what d_name holds. */
void fs_platform_dirent(struct dirent *out, const mp_dir_entry *entry);

/* A FILE with `mode` whose reads, writes, seeks and close go through the fd hooks of `fd` (a remote
 * file's placeholder): fopencookie on glibc, funopen on macOS. fileno() of it is -1. */
FILE *fs_platform_stream(int fd, const char *mode);

/* The agent's errno (Linux's numbers) as this platform's. */
int fs_platform_errno(int linux_errno);

/* This platform's open(2) flags, and its *at / access flags (AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW,
 * AT_EACCESS), as the Linux values the agent takes. */
int fs_platform_wire_open_flags(int flags);
int fs_platform_wire_at_flags(int flags);

#endif
