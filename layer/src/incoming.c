#include "incoming.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd_events.h"
#include "guard.h"
#include "layer.h"
#include "outgoing_address.h"
#include "proxy_client.h"
#include "socket_table.h"
#include "sys.h"

enum { MODE_OFF = 0, MODE_MIRROR = 1, MODE_STEAL = 2 };

/* socket_info.owner_id of an incoming socket: kind in bits 32+, listener slot in 16..31, port in 0..15. */
#define KIND_BOUND 1ull
#define KIND_LISTENING 2ull
#define KIND_ACCEPTED 3ull
#define OWNER_ID(kind, slot, port) (((kind) << 32) | ((uint64_t)(slot) << 16) | (uint64_t)(port))
#define OWNER_KIND(id) ((id) >> 32)
#define OWNER_SLOT(id) ((unsigned)(((id) >> 16) & 0xffffu))
#define OWNER_PORT(id) ((uint16_t)((id) & 0xffffu))

/* One subscribed listening socket: how many fds refer to it, and the remote port it subscribed. */
#define LISTENER_SLOTS 256
static struct {
  atomic_int refs;
  uint16_t remote_port;
} listeners[LISTENER_SLOTS];

struct incoming_real incoming_real;

/* The names the kernel really gave the socket (raw syscalls: the exported ones report pod names). */
static int real_sockname(int fd, struct sockaddr_storage *out, socklen_t *len) {
  *len = sizeof(*out);
  return (int)syscall(SYS_getsockname, fd, (struct sockaddr *)out, len);
}

static int real_peername(int fd, struct sockaddr_storage *out, socklen_t *len) {
  *len = sizeof(*out);
  return (int)syscall(SYS_getpeername, fd, (struct sockaddr *)out, len);
}

static const mp_msg_layer_config *incoming_config(void) {
  const mp_msg_layer_config *config = layer_active_config();
  return config && config->incoming_mode != MODE_OFF ? config : NULL;
}

static uint16_t port_of(const struct sockaddr *addr) {
  return ntohs(addr->sa_family == AF_INET ? ((const struct sockaddr_in *)addr)->sin_port
                                          : ((const struct sockaddr_in6 *)addr)->sin6_port);
}

static void set_port(struct sockaddr *addr, uint16_t port) {
  if (addr->sa_family == AF_INET)
    ((struct sockaddr_in *)addr)->sin_port = htons(port);
  else
    ((struct sockaddr_in6 *)addr)->sin6_port = htons(port);
}

static bool is_loopback(const struct sockaddr *addr) {
  if (addr->sa_family == AF_INET)
    return (ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr) >> 24) == 127;
  const struct in6_addr *ip = &((const struct sockaddr_in6 *)addr)->sin6_addr;
  return IN6_IS_ADDR_LOOPBACK(ip) ||
         (IN6_IS_ADDR_V4MAPPED(ip) && ip->s6_addr[12] == 127);
}

static bool is_unspecified(const struct sockaddr *addr) {
  if (addr->sa_family == AF_INET) return ((const struct sockaddr_in *)addr)->sin_addr.s_addr == INADDR_ANY;
  return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)addr)->sin6_addr);
}

/* `to` of the pair whose `from` is `port`, or 0. */
static uint16_t pair_lookup(const mp_port_pair *pairs, uint32_t count, uint16_t port) {
  for (uint32_t i = 0; i < count; i++)
    if (pairs[i].from == port) return pairs[i].to;
  return 0;
}

static bool port_listed(const uint16_t *ports, uint32_t count, uint16_t port) {
  for (uint32_t i = 0; i < count; i++)
    if (ports[i] == port) return true;
  return false;
}

/* The pod port a local port stands for (`port_mapping`). */
static uint16_t remote_port_of(const mp_msg_layer_config *config, uint16_t port) {
  uint16_t mapped = pair_lookup(config->incoming_port_mapping.items, config->incoming_port_mapping.count, port);
  return mapped ? mapped : port;
}

/* layer.md §4a step 6: binds that never subscribe stay entirely the program's own. */
static bool takes_part(const mp_msg_layer_config *config, const struct sockaddr *addr, uint16_t port) {
  if (port == 0) return false;
  if (config->incoming_ignore_localhost && is_loopback(addr)) return false;
  if (config->has_incoming_ports &&
      !port_listed(config->incoming_ports.items, config->incoming_ports.count, remote_port_of(config, port)))
    return false;
  return !port_listed(config->incoming_ignore_ports.items, config->incoming_ignore_ports.count, port);
}

static int try_bind(int fd, const struct sockaddr_storage *addr, socklen_t len, uint16_t port) {
  struct sockaddr_storage attempt = *addr;
  set_port((struct sockaddr *)&attempt, port);
  return incoming_real.bind(fd, (const struct sockaddr *)&attempt, len);
}

/* The real bind: `listen_ports` mapping, else the requested port, else a free one (§4a step 7). */
static int bind_locally(const mp_msg_layer_config *config, int fd, const struct sockaddr_storage *requested,
                        socklen_t len, uint16_t port) {
  uint16_t listen_port =
      pair_lookup(config->incoming_listen_ports.items, config->incoming_listen_ports.count, port);
  if (listen_port) return try_bind(fd, requested, len, listen_port);
  if (try_bind(fd, requested, len, port) == 0) return 0;
  if (try_bind(fd, requested, len, 0) == 0) return 0;
  const struct sockaddr *addr = (const struct sockaddr *)requested;
  if (is_loopback(addr) || is_unspecified(addr)) return -1;
  /* A pod IP does not exist on the laptop: listen on loopback instead. */
  struct sockaddr_storage local = {0};
  local.ss_family = addr->sa_family;
  if (addr->sa_family == AF_INET)
    ((struct sockaddr_in *)&local)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  else
    ((struct sockaddr_in6 *)&local)->sin6_addr = in6addr_loopback;
  if (try_bind(fd, &local, len, port) == 0) return 0;
  return try_bind(fd, &local, len, 0);
}

bool incoming_bind(int fd, const struct sockaddr *addr, socklen_t len, int *result) {
  const mp_msg_layer_config *config = incoming_config();
  if (!config || !addr || (addr->sa_family != AF_INET && addr->sa_family != AF_INET6)) return false;
  if (len < (addr->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6))) return false;
  int type = 0;
  socklen_t type_len = sizeof(type);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0 || type != SOCK_STREAM) return false;
  uint16_t port = port_of(addr);
  if (!takes_part(config, addr, port)) return false;
  struct sockaddr_storage requested = {0};
  memcpy(&requested, addr, len < sizeof(requested) ? len : sizeof(requested));
  if (bind_locally(config, fd, &requested, len, port) != 0) {
    *result = -1;
    return true;
  }
  struct socket_info info = {
      .owner = SOCKET_OWNER_INCOMING,
      .domain = addr->sa_family,
      .type = SOCK_STREAM,
      .owner_id = OWNER_ID(KIND_BOUND, 0, port),
      .local = requested,
      .local_len = len < sizeof(requested) ? len : sizeof(requested),
  };
  socket_table_put(fd, &info);
  /* Some runtimes (node) read errno after a successful bind. */
  errno = 0;
  *result = 0;
  return true;
}

static int expect_subscribed(const mp_message *reply, void *ctx) {
  (void)ctx;
  return reply->tag == MP_MSG_SUBSCRIBED ? 0 : -EPROTO;
}

static void warn_not_subscribed(uint16_t port, int rc) {
  char line[160];
  const char *why = rc == -ENOTCONN ? "the internal proxy is unreachable" : strerror(-rc);
  int n = snprintf(line, sizeof(line), "mirrord: port %u stays local, the subscription failed: %s\n", port, why);
  if (n > 0) sys_write(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static int claim_slot(uint16_t remote_port) {
  for (int slot = 0; slot < LISTENER_SLOTS; slot++) {
    int free_refs = 0;
    if (atomic_compare_exchange_strong(&listeners[slot].refs, &free_refs, 1)) {
      listeners[slot].remote_port = remote_port;
      return slot;
    }
  }
  return -1;
}

bool incoming_listen(int fd, int backlog, int *result) {
  const mp_msg_layer_config *config = incoming_config();
  struct socket_info info;
  if (!config || !socket_table_get(fd, &info) || info.owner != SOCKET_OWNER_INCOMING ||
      OWNER_KIND(info.owner_id) != KIND_BOUND)
    return false;
  *result = incoming_real.listen(fd, backlog);
  if (*result != 0) return true;
  int saved_errno = errno;
  uint16_t remote_port = remote_port_of(config, OWNER_PORT(info.owner_id));
  struct sockaddr_storage actual;
  socklen_t actual_len;
  int slot = real_sockname(fd, &actual, &actual_len) == 0 ? claim_slot(remote_port) : -1;
  if (slot < 0) {
    errno = saved_errno;
    return true;
  }
  mp_message request = {.tag = MP_MSG_SUBSCRIBE};
  request.u.subscribe.port = remote_port;
  request.u.subscribe.mode = config->incoming_mode == MODE_STEAL ? MP_INCOMING_MODE_STEAL : MP_INCOMING_MODE_MIRROR;
  int rc = outgoing_address_from_sockaddr((struct sockaddr *)&actual, actual_len, &request.u.subscribe.listen_address)
               ? proxy_call(&request, expect_subscribed, NULL)
               : -EAFNOSUPPORT;
  if (rc == 0) {
    info.owner_id = OWNER_ID(KIND_LISTENING, slot, OWNER_PORT(info.owner_id));
    socket_table_put(fd, &info);
  } else {
    atomic_store(&listeners[slot].refs, 0);
    warn_not_subscribed(remote_port, rc);
  }
  errno = saved_errno;
  return true;
}

struct peer_lookup {
  /* The domain of the accepting socket: answers are shaped for it (IPv4 on AF_INET6 → IPv4-mapped). */
  int domain;
  struct sockaddr_storage remote;
  socklen_t remote_len;
  struct sockaddr_storage local;
  socklen_t local_len;
  bool found;
};

static int collect_peer(const mp_message *reply, void *ctx) {
  struct peer_lookup *lookup = ctx;
  if (reply->tag != MP_MSG_CONN_METADATA_RESULT) return -EPROTO;
  const mp_msg_conn_metadata_result *result = &reply->u.conn_metadata_result;
  if (!result->has_remote_address || !result->has_local_address) return 0;
  lookup->remote_len = outgoing_address_to_sockaddr(&result->remote_address, lookup->domain, &lookup->remote);
  lookup->local_len = outgoing_address_to_sockaddr(&result->local_address, lookup->domain, &lookup->local);
  lookup->found = lookup->remote_len != 0 && lookup->local_len != 0;
  return 0;
}

void incoming_accepted(int listener, int fd, struct sockaddr *addr, socklen_t *len) {
  struct socket_info info;
  if (!socket_table_get(listener, &info) || info.owner != SOCKET_OWNER_INCOMING ||
      OWNER_KIND(info.owner_id) != KIND_LISTENING || !guard_enter())
    return;
  int saved_errno = errno;
  struct sockaddr_storage listener_addr, peer;
  socklen_t listener_len, peer_len;
  struct peer_lookup lookup = {.domain = info.domain, .found = false};
  if (real_sockname(listener, &listener_addr, &listener_len) == 0 && real_peername(fd, &peer, &peer_len) == 0 &&
      is_loopback((struct sockaddr *)&peer)) {
    mp_message request = {.tag = MP_MSG_CONN_METADATA};
    if (outgoing_address_from_sockaddr((struct sockaddr *)&listener_addr, listener_len,
                                       &request.u.conn_metadata.listener_address) &&
        outgoing_address_from_sockaddr((struct sockaddr *)&peer, peer_len, &request.u.conn_metadata.peer_address))
      proxy_call(&request, collect_peer, &lookup);
  }
  if (lookup.found) {
    int one = 1;
    sys_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    set_port((struct sockaddr *)&lookup.local, OWNER_PORT(info.owner_id));
    struct socket_info accepted = {
        .owner = SOCKET_OWNER_INCOMING,
        .domain = info.domain,
        .type = SOCK_STREAM,
        .owner_id = OWNER_ID(KIND_ACCEPTED, 0, OWNER_PORT(info.owner_id)),
    };
    accepted.remote = lookup.remote;
    accepted.remote_len = lookup.remote_len;
    accepted.local = lookup.local;
    accepted.local_len = lookup.local_len;
    socket_table_put(fd, &accepted);
    if (addr && len) outgoing_address_copy_out(&accepted.remote, accepted.remote_len, addr, len);
  }
  guard_leave();
  errno = saved_errno;
}

/* The last fd of a subscribed listener closed: the port is released (layer.md §4f). */
static void on_closed(int fd) {
  struct socket_info info;
  if (!socket_table_get(fd, &info) || info.owner != SOCKET_OWNER_INCOMING ||
      OWNER_KIND(info.owner_id) != KIND_LISTENING)
    return;
  unsigned slot = OWNER_SLOT(info.owner_id);
  if (slot >= LISTENER_SLOTS || atomic_fetch_sub(&listeners[slot].refs, 1) != 1) return;
  /* Outside the layer only: a close inside a hook or a signal handler leaves the release to the
   * intproxy, which drops a layer's ports when it disconnects. */
  if (!guard_enter()) return;
  int saved_errno = errno;
  mp_message request = {.tag = MP_MSG_UNSUBSCRIBE};
  request.u.unsubscribe.port = listeners[slot].remote_port;
  proxy_call(&request, NULL, NULL);
  guard_leave();
  errno = saved_errno;
}

static void on_duplicated(int from, int to) {
  (void)to;
  struct socket_info info;
  if (socket_table_get(from, &info) && info.owner == SOCKET_OWNER_INCOMING &&
      OWNER_KIND(info.owner_id) == KIND_LISTENING && OWNER_SLOT(info.owner_id) < LISTENER_SLOTS)
    atomic_fetch_add(&listeners[OWNER_SLOT(info.owner_id)].refs, 1);
}

/* Priority 101: subscribed before socket_table's own listener, so a close is seen while its record
 * still exists; and the real functions are there before any other constructor could call a hook. */
__attribute__((constructor(101))) static void incoming_follow_fd_events(void) {
  static const struct fd_events_listener listener = {on_closed, on_duplicated};
  fd_events_subscribe(&listener);
  incoming_real.bind = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
  incoming_real.listen = (int (*)(int, int))dlsym(RTLD_NEXT, "listen");
  incoming_real.accept = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
  incoming_real.accept4 = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
}
