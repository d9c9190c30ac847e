/* connect / sendto / sendmsg / recvfrom / recvmsg: outgoing traffic through the agent (layer.md §5). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "../guard.h"
#include "../layer.h"
#include "../outgoing.h"
#include "../real.h"

LAYER_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len) {
  if (!layer_active_config() || !guard_enter()) return REAL(connect)(fd, addr, len);
  int saved_errno = errno;
  int result;
  bool handled = outgoing_connect(fd, addr, len, &result);
  guard_leave();
  if (!handled) {
    errno = saved_errno;
    return REAL(connect)(fd, addr, len);
  }
  if (result == 0) errno = saved_errno;
  return result;
}

/* Where a datagram for `dest` really goes: the intercept when it is remote, else `dest`. -1 = fail with errno. */
static int datagram_target(int fd, const struct sockaddr *dest, socklen_t dest_len, struct sockaddr_storage *target,
                           socklen_t *target_len) {
  if (!dest || !layer_active_config() || !guard_enter()) return 0;
  int saved_errno = errno;
  int error = 0;
  bool redirected = outgoing_datagram_target(fd, dest, dest_len, target, target_len, &error);
  guard_leave();
  if (error) {
    errno = error;
    return -1;
  }
  errno = saved_errno;
  return redirected ? 1 : 0;
}

LAYER_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *dest,
                            socklen_t dest_len) {
  struct sockaddr_storage target;
  socklen_t target_len;
  switch (datagram_target(fd, dest, dest_len, &target, &target_len)) {
  case 1:
    return REAL(sendto)(fd, buf, len, flags, (const struct sockaddr *)&target, target_len);
  case -1:
    return -1;
  default:
    return REAL(sendto)(fd, buf, len, flags, dest, dest_len);
  }
}

LAYER_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
  struct sockaddr_storage target;
  socklen_t target_len;
  const struct sockaddr *dest = msg ? (const struct sockaddr *)msg->msg_name : NULL;
  switch (datagram_target(fd, dest, msg ? msg->msg_namelen : 0, &target, &target_len)) {
  case 1: {
    /* A copy of the header: the program's own msghdr is never written. */
    struct msghdr redirected = *msg;
    redirected.msg_name = &target;
    redirected.msg_namelen = target_len;
    return REAL(sendmsg)(fd, &redirected, flags);
  }
  case -1:
    return -1;
  default:
    return REAL(sendmsg)(fd, msg, flags);
  }
}

LAYER_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *from_len) {
  ssize_t received = REAL(recvfrom)(fd, buf, len, flags, from, from_len);
  if (received >= 0 && from && from_len) {
    int saved_errno = errno;
    outgoing_datagram_source(fd, from, from_len);
    errno = saved_errno;
  }
  return received;
}

LAYER_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
  ssize_t received = REAL(recvmsg)(fd, msg, flags);
  if (received >= 0 && msg && msg->msg_name) {
    int saved_errno = errno;
    outgoing_datagram_source(fd, (struct sockaddr *)msg->msg_name, &msg->msg_namelen);
    errno = saved_errno;
  }
  return received;
}
