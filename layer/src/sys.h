/*
 * Raw system calls for the layer's own I/O (its connection to the intproxy, its messages to stderr).
 * They never pass through the layer's own hooks or libc's interposable wrappers, and they are
 * async-signal-safe. errno is set as libc would.
 */
#ifndef MIRRORD_LAYER_SYS_H
#define MIRRORD_LAYER_SYS_H

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static inline ssize_t sys_read(int fd, void *buf, size_t len) { return syscall(SYS_read, fd, buf, len); }
static inline ssize_t sys_write(int fd, const void *buf, size_t len) { return syscall(SYS_write, fd, buf, len); }
static inline int sys_close(int fd) { return (int)syscall(SYS_close, fd); }
static inline int sys_socket(int domain, int type, int protocol) {
  return (int)syscall(SYS_socket, domain, type, protocol);
}
static inline int sys_connect(int fd, const struct sockaddr *addr, socklen_t len) {
  return (int)syscall(SYS_connect, fd, addr, len);
}
static inline int sys_setsockopt(int fd, int level, int name, const void *value, socklen_t len) {
  return (int)syscall(SYS_setsockopt, fd, level, name, value, len);
}
static inline pid_t sys_getpid(void) { return (pid_t)syscall(SYS_getpid); }

/* Writes all of text to stderr, retrying short writes; used for the layer's few user-facing messages. */
void sys_say(const char *text);

#endif
