/* getsockname / getpeername: the names a socket mirrord handles has in the pod (socket_table.h). */
#include <errno.h>
#include <sys/socket.h>

#include "../guard.h"
#include "../layer.h"
#include "../outgoing.h"
#include "../outgoing_address.h"
#include "../real.h"
#include "../socket_table.h"

LAYER_EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *len) {
  struct socket_info info;
  if (!layer_active_config() || !addr || !len || !socket_table_get(fd, &info)) return REAL(getsockname)(fd, addr, len);
  if (info.local_len > 0) {
    outgoing_address_copy_out(&info.local, info.local_len, addr, len);
    return 0;
  }
  if (!guard_enter()) return REAL(getsockname)(fd, addr, len);
  int saved_errno = errno;
  bool answered = outgoing_pod_name(fd, addr, len);
  guard_leave();
  errno = saved_errno;
  return answered ? 0 : REAL(getsockname)(fd, addr, len);
}

LAYER_EXPORT int getpeername(int fd, struct sockaddr *addr, socklen_t *len) {
  struct socket_info info;
  if (!layer_active_config() || !addr || !len || !socket_table_get(fd, &info) || info.remote_len == 0)
    return REAL(getpeername)(fd, addr, len);
  outgoing_address_copy_out(&info.remote, info.remote_len, addr, len);
  return 0;
}
