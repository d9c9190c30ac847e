/* getsockname / getpeername: the names a socket mirrord handles has in the pod (socket_table.h). */
#include <errno.h>
#include <sys/socket.h>

#include "../layer.h"
#include "../outgoing_address.h"
#include "../real.h"
#include "../socket_table.h"

LAYER_EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *len) {
  struct socket_info info;
  if (!layer_active_config() || !addr || !len || !socket_table_get(fd, &info) || info.local_len == 0)
    return REAL(getsockname)(fd, addr, len);
  outgoing_address_copy_out(&info.local, info.local_len, addr, len);
  return 0;
}

LAYER_EXPORT int getpeername(int fd, struct sockaddr *addr, socklen_t *len) {
  struct socket_info info;
  if (!layer_active_config() || !addr || !len || !socket_table_get(fd, &info) || info.remote_len == 0)
    return REAL(getpeername)(fd, addr, len);
  outgoing_address_copy_out(&info.remote, info.remote_len, addr, len);
  return 0;
}
