/*
 * Raw system calls for the layer's own I/O (its connection to the intproxy, its messages to stderr).
 * They never pass through the layer's own hooks or libc's interposable wrappers, and they are
 * async-signal-safe. errno is set as libc would.
 */
#ifndef MIRRORD_LAYER_SYS_H
#define MIRRORD_LAYER_SYS_H

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifdef __APPLE__
#include <fcntl.h>
#endif

static inline ssize_t sys_read(int fd, void *buf, size_t len) { return syscall(SYS_read, fd, buf, len); }
static inline ssize_t sys_write(int fd, const void *buf, size_t len) { return syscall(SYS_write, fd, buf, len); }
static inline int sys_close(int fd) { return (int)syscall(SYS_close, fd); }
static inline int sys_connect(int fd, const struct sockaddr *addr, socklen_t len) {
  return (int)syscall(SYS_connect, fd, addr, len);
}
static inline int sys_setsockopt(int fd, int level, int name, const void *value, socklen_t len) {
  return (int)syscall(SYS_setsockopt, fd, level, name, value, len);
}
static inline pid_t sys_getpid(void) { return (pid_t)syscall(SYS_getpid); }

/* The few calls whose Linux and macOS forms differ, each in one place (layer/macos/README.md). */

/* A close-on-exec stream socket for the layer's own connections. macOS has no SOCK_CLOEXEC, and its
 * socket also gets SO_NOSIGPIPE (no MSG_NOSIGNAL there): a dead intproxy is an EPIPE, not a signal. */
static inline int sys_stream_socket(int domain) {
#ifdef __APPLE__
  int fd = (int)syscall(SYS_socket, domain, SOCK_STREAM, 0);
  if (fd < 0) return fd;
  int one = 1;
  syscall(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
  syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_NOSIGPIPE, &one, (socklen_t)sizeof(one));
  return fd;
#else
  return (int)syscall(SYS_socket, domain, SOCK_STREAM | SOCK_CLOEXEC, 0);
#endif
}

/* The address family of socket `fd`: SO_DOMAIN on Linux; macOS lacks it, and its getsockname reports
 * the family even for an unbound socket. */
static inline int sys_socket_domain(int fd, int *domain) {
#ifdef __APPLE__
  struct sockaddr_storage name;
  socklen_t len = sizeof(name);
  if (syscall(SYS_getsockname, fd, &name, &len) != 0) return -1;
  *domain = name.ss_family;
  return 0;
#else
  socklen_t len = sizeof(int);
  return (int)syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_DOMAIN, domain, &len);
#endif
}

/* Zeroed private memory for the layer's tables, past the (Linux-hooked) mmap; NULL on failure. On macOS
 * mmap's 64-bit offset makes syscall(2) unfit; the call reaches the layer's mmap hook (macos.mk renames
 * it), which hands anonymous maps straight to libSystem's. */
static inline void *sys_map_zeroed(size_t size) {
#ifdef __APPLE__
  void *fresh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
#else
  void *fresh = (void *)syscall(SYS_mmap, NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
#endif
  return fresh == MAP_FAILED ? NULL : fresh;
}

static inline void sys_unmap(void *memory, size_t size) {
#ifdef __APPLE__
  munmap(memory, size);
#else
  syscall(SYS_munmap, memory, size);
#endif
}

/* Writes all of text to stderr, retrying short writes; used for the layer's few user-facing messages. */
void sys_say(const char *text);

#endif
