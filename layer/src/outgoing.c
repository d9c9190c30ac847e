#include "outgoing.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "layer.h"
#include "outgoing_address.h"
#include "outgoing_filter.h"
#include "outgoing_udp.h"
#include "proxy_client.h"
#include "socket_table.h"
#include "sys.h"

static atomic_uint_fast64_t next_conn_id = 1;

struct socket_kind {
  int domain;
  int type;
};

static bool socket_kind_of(int fd, struct socket_kind *kind) {
  if (sys_socket_domain(fd, &kind->domain) != 0) return false;
  socklen_t len = sizeof(int);
  return syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &kind->type, &len) == 0;
}

/* The transport a connection to `address` from a socket of `kind` uses, when it goes remote; 0 = local. */
static uint8_t remote_transport(const mp_msg_layer_config *config, const struct socket_kind *kind,
                                const struct sockaddr *addr, socklen_t len, const mp_socket_address *address,
                                int *error) {
  if (address->kind == MP_SOCKET_ADDRESS_UNIX_PATH || address->kind == MP_SOCKET_ADDRESS_UNIX_ABSTRACT) {
    if (kind->type != SOCK_STREAM) return 0;
    const mp_bytes *name =
        address->kind == MP_SOCKET_ADDRESS_UNIX_PATH ? &address->u.unix_path.path : &address->u.unix_abstract.name;
    return outgoing_filter_unix(config, name->ptr, name->len) ? MP_TRANSPORT_UNIX_STREAM : 0;
  }
  uint8_t transport = kind->type == SOCK_STREAM ? MP_TRANSPORT_TCP : kind->type == SOCK_DGRAM ? MP_TRANSPORT_UDP : 0;
  uint8_t ip[16];
  uint16_t port;
  int ip_len = outgoing_address_ip(addr, len, ip, &port);
  if (!transport || !ip_len) return 0;
  switch (outgoing_filter_ip(config, transport, ip, ip_len, port)) {
  case OUTGOING_REMOTE:
    return transport;
  case OUTGOING_FAILED:
    *error = errno;
    return 0;
  default:
    return 0;
  }
}

/* What the intproxy answered to one Connect, in the program socket's own address family. */
struct wiring {
  int domain;
  uint64_t conn_id;
  struct sockaddr_storage local, intercept;
  socklen_t local_len, intercept_len;
};

static int on_connected(const mp_message *reply, void *ctx) {
  struct wiring *wiring = ctx;
  if (reply->tag != MP_MSG_CONNECTED || !reply->u.connected.has_intercept_address) return -EPROTO;
  wiring->local_len = outgoing_address_to_sockaddr(&reply->u.connected.local_address, wiring->domain, &wiring->local);
  wiring->intercept_len =
      outgoing_address_to_sockaddr(&reply->u.connected.intercept_address, wiring->domain, &wiring->intercept);
  return wiring->intercept_len ? 0 : -EPROTO;
}

/* Without the intproxy the pod cannot be reached: say so the way a dead route does. */
static int unreachable_without_intproxy(int rc) { return rc == -ENOTCONN || rc == -EPROTO ? -ENETUNREACH : rc; }

/* The Connect round trip; 0 or a negative errno (the agent's connect error passes through as is). */
static int open_remote(uint8_t transport, const mp_socket_address *address, struct wiring *wiring) {
  mp_message request = {.tag = MP_MSG_CONNECT};
  wiring->conn_id = atomic_fetch_add(&next_conn_id, 1);
  request.u.connect.conn_id = wiring->conn_id;
  request.u.connect.transport = transport;
  request.u.connect.address = *address;
  return unreachable_without_intproxy(proxy_call(&request, on_connected, wiring));
}

static int on_pending(const mp_message *reply, void *ctx) {
  struct wiring *wiring = ctx;
  if (reply->tag != MP_MSG_CONNECT_PENDING) return -EPROTO;
  wiring->conn_id = reply->u.connect_pending.conn_id;
  wiring->local_len = 0;
  wiring->intercept_len =
      outgoing_address_to_sockaddr(&reply->u.connect_pending.intercept_address, wiring->domain, &wiring->intercept);
  return wiring->intercept_len ? 0 : -EPROTO;
}

/* A non-blocking TCP connect (layer.md §5c): the intproxy answers at once with the intercept and its own
 * id for the connection; the agent connects in the background and a failure resets the connection. The
 * pod-side local address is not known yet (local_len 0), outgoing_pod_name asks for it later. */
static int open_in_background(const mp_socket_address *address, struct wiring *wiring) {
  mp_message request = {.tag = MP_MSG_CONNECT_IN_BACKGROUND};
  request.u.connect_in_background.conn_id = atomic_fetch_add(&next_conn_id, 1);
  request.u.connect_in_background.address = *address;
  return unreachable_without_intproxy(proxy_call(&request, on_pending, wiring));
}

static bool is_non_blocking(int fd) {
  long flags = syscall(SYS_fcntl, fd, F_GETFL);
  return flags >= 0 && (flags & O_NONBLOCK);
}

static void remember(int fd, const struct socket_kind *kind, const struct wiring *wiring, const struct sockaddr *addr,
                     socklen_t len) {
  struct socket_info info = {.owner = SOCKET_OWNER_OUTGOING,
                             .domain = kind->domain,
                             .type = kind->type,
                             .owner_id = wiring->conn_id,
                             .local = wiring->local,
                             .local_len = wiring->local_len};
  info.remote_len = len < sizeof(info.remote) ? len : sizeof(info.remote);
  memcpy(&info.remote, addr, info.remote_len);
  socket_table_put(fd, &info);
}

struct own_listener {
  int type;
  uint16_t port;
};

static bool listens_on(int fd, const struct socket_info *info, void *ctx) {
  (void)fd;
  const struct own_listener *wanted = ctx;
  uint8_t ip[16];
  uint16_t port = 0;
  return info->owner == SOCKET_OWNER_INCOMING && info->type == wanted->type && info->local_len > 0 &&
         outgoing_address_ip((const struct sockaddr *)&info->local, info->local_len, ip, &port) && port == wanted->port;
}

/* A program talking to itself on localhost: when it listens (mirrored or stolen port) on the port it
 * connects to, it reaches its own listener wherever that really is bound (layer.md §5a.1b). */
static bool connect_own_listener(int fd, const struct socket_kind *kind, const struct sockaddr *addr, socklen_t len,
                                 int *result) {
  uint8_t ip[16];
  struct own_listener wanted = {.type = kind->type};
  int ip_len = outgoing_address_ip(addr, len, ip, &wanted.port);
  bool loopback = (ip_len == 4 && ip[0] == 127) ||
                  (ip_len == 16 && memcmp(ip, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0);
  if (!loopback) return false;
  int listener = socket_table_find(listens_on, &wanted);
  struct sockaddr_storage actual;
  socklen_t actual_len = sizeof(actual);
  if (listener < 0 || syscall(SYS_getsockname, listener, &actual, &actual_len) != 0) return false;
  uint16_t actual_port = actual.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&actual)->sin6_port
                                                       : ((struct sockaddr_in *)&actual)->sin_port;
  struct sockaddr_storage target;
  memcpy(&target, addr, len < sizeof(target) ? len : sizeof(target));
  if (target.ss_family == AF_INET6)
    ((struct sockaddr_in6 *)&target)->sin6_port = actual_port;
  else
    ((struct sockaddr_in *)&target)->sin_port = actual_port;
  *result = sys_connect(fd, (const struct sockaddr *)&target, len);
  return true;
}

bool outgoing_connect(int fd, const struct sockaddr *addr, socklen_t len, int *result) {
  const mp_msg_layer_config *config = layer_active_config();
  struct socket_kind kind;
  mp_socket_address address;
  struct socket_info existing;
  if (!config || !addr || !outgoing_address_from_sockaddr(addr, len, &address) || !socket_kind_of(fd, &kind))
    return false;
  if (addr->sa_family != kind.domain) return false;
  if (socket_table_get(fd, &existing) && existing.owner == SOCKET_OWNER_INCOMING) return false;
  if (connect_own_listener(fd, &kind, addr, len, result)) return true;
  int error = 0;
  uint8_t transport = remote_transport(config, &kind, addr, len, &address, &error);
  if (error) {
    errno = error;
    *result = -1;
    return true;
  }
  if (!transport) return false;

  struct wiring wiring = {.domain = kind.domain};
  int rc = transport == MP_TRANSPORT_TCP && is_non_blocking(fd) ? open_in_background(&address, &wiring)
                                                                  : open_remote(transport, &address, &wiring);
  if (rc < 0) {
    errno = -rc;
    *result = -1;
    return true;
  }
  *result = sys_connect(fd, (const struct sockaddr *)&wiring.intercept, wiring.intercept_len);
  if (*result == 0 || errno == EINPROGRESS || errno == EINTR) {
    int saved = errno;
    remember(fd, &kind, &wiring, addr, len);
    if (transport == MP_TRANSPORT_UDP) {
      struct sockaddr_storage remote;
      socklen_t remote_len = len < sizeof(remote) ? len : sizeof(remote);
      memcpy(&remote, addr, remote_len);
      outgoing_udp_add(fd, &remote, remote_len, &wiring.intercept, wiring.intercept_len);
    }
    errno = saved;
  }
  return true;
}

static int on_pod_address(const mp_message *reply, void *ctx) {
  struct wiring *wiring = ctx;
  if (reply->tag != MP_MSG_OUTGOING_LOCAL_ADDRESS_RESULT) return -EPROTO;
  if (!reply->u.outgoing_local_address_result.has_address) return -ENOENT;
  wiring->local_len =
      outgoing_address_to_sockaddr(&reply->u.outgoing_local_address_result.address, wiring->domain, &wiring->local);
  return wiring->local_len ? 0 : -EPROTO;
}

bool outgoing_pod_name(int fd, struct sockaddr *addr, socklen_t *len) {
  struct socket_info info;
  /* Only a background TCP connect leaves an outgoing stream's local address unknown (see open_in_background). */
  if (!socket_table_get(fd, &info) || info.owner != SOCKET_OWNER_OUTGOING || info.type != SOCK_STREAM ||
      info.domain == AF_UNIX || info.local_len != 0)
    return false;
  struct wiring wiring = {.domain = info.domain};
  mp_message request = {.tag = MP_MSG_OUTGOING_LOCAL_ADDRESS};
  request.u.outgoing_local_address.conn_id = info.owner_id;
  if (proxy_call(&request, on_pod_address, &wiring) != 0) return false;
  info.local = wiring.local;
  info.local_len = wiring.local_len;
  socket_table_put(fd, &info);
  outgoing_address_copy_out(&info.local, info.local_len, addr, len);
  return true;
}

bool outgoing_datagram_target(int fd, const struct sockaddr *dest, socklen_t len, struct sockaddr_storage *target,
                              socklen_t *target_len, int *error) {
  const mp_msg_layer_config *config = layer_active_config();
  if (!config || !dest || (dest->sa_family != AF_INET && dest->sa_family != AF_INET6)) return false;
  if (outgoing_udp_intercept(fd, dest, len, target, target_len)) return true;
  struct socket_kind kind;
  mp_socket_address address;
  if (!socket_kind_of(fd, &kind) || kind.type != SOCK_DGRAM || dest->sa_family != kind.domain) return false;
  if (!outgoing_address_from_sockaddr(dest, len, &address)) return false;
  int failure = 0;
  if (remote_transport(config, &kind, dest, len, &address, &failure) != MP_TRANSPORT_UDP) {
    if (!failure) return false;
    *error = failure;
    return true;
  }
  struct wiring wiring = {.domain = kind.domain};
  int rc = open_remote(MP_TRANSPORT_UDP, &address, &wiring);
  if (rc < 0) {
    *error = -rc;
    return true;
  }
  struct sockaddr_storage remote;
  socklen_t remote_len = len < sizeof(remote) ? len : sizeof(remote);
  memcpy(&remote, dest, remote_len);
  outgoing_udp_add(fd, &remote, remote_len, &wiring.intercept, wiring.intercept_len);
  *target = wiring.intercept;
  *target_len = wiring.intercept_len;
  return true;
}

void outgoing_datagram_source(int fd, struct sockaddr *from, socklen_t *len) {
  if (!from || !len || !layer_active_config()) return;
  struct sockaddr_storage remote;
  socklen_t remote_len;
  if (outgoing_udp_remote(fd, from, *len, &remote, &remote_len)) outgoing_address_copy_out(&remote, remote_len, from, len);
}
