/* The XNU system call numbers the portable layer sources use (sys.h, socket_table.c, …), from XNU's
 * bsd/kern/syscalls.master, a stable ABI. Zig's macOS headers lack <sys/syscall.h> and the SDK's copy
 * is deprecated, so macos.mk puts this directory first on the include path. Linux-only numbers
 * (statx, getdents64, …) are absent on purpose: their users are inside `#ifdef __GLIBC__`. */
#ifndef MIRRORD_LAYER_MACOS_SYSCALL_H
#define MIRRORD_LAYER_MACOS_SYSCALL_H

#define SYS_read 3
#define SYS_write 4
#define SYS_close 6
#define SYS_getpid 20
#define SYS_fcntl 92
#define SYS_getpeername 31
#define SYS_getsockname 32
#define SYS_socket 97
#define SYS_connect 98
#define SYS_setsockopt 105
#define SYS_getsockopt 118
#define SYS_openat 463

#endif
