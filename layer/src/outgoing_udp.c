#include "outgoing_udp.h"

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "fd_events.h"

#define ROUTES 256
#define READ_ATTEMPTS 1000

struct route {
  atomic_uint seq; /* odd while a writer changes the slot */
  int fd;          /* -1 = free */
  struct sockaddr_storage remote, intercept;
  socklen_t remote_len, intercept_len;
};

static struct route routes[ROUTES];
/* Slots holding a route: while none do (most programs never send UDP through mirrord), a close, dup or
 * datagram skips the scan of every slot. Raised before a slot is filled, lowered after it is freed. */
static atomic_int routes_in_use;

static bool no_routes(void) { return atomic_load_explicit(&routes_in_use, memory_order_acquire) == 0; }

__attribute__((constructor)) static void routes_init(void) {
  for (int i = 0; i < ROUTES; i++) routes[i].fd = -1;
}

static bool try_write_begin(struct route *route) {
  unsigned seq = atomic_load_explicit(&route->seq, memory_order_relaxed);
  return !(seq & 1u) && atomic_compare_exchange_strong(&route->seq, &seq, seq + 1);
}

static void write_end(struct route *route) { atomic_fetch_add_explicit(&route->seq, 1, memory_order_release); }

/* Compares the parts that identify an IP endpoint (family, address, port), not padding or flowinfo. */
static bool same_endpoint(const struct sockaddr *a, socklen_t a_len, const struct sockaddr_storage *b, socklen_t b_len) {
  if (a->sa_family != b->ss_family) return false;
  if (a->sa_family == AF_INET && a_len >= sizeof(struct sockaddr_in) && b_len >= sizeof(struct sockaddr_in)) {
    const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const struct sockaddr_in *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->sa_family == AF_INET6 && a_len >= sizeof(struct sockaddr_in6) && b_len >= sizeof(struct sockaddr_in6)) {
    const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const struct sockaddr_in6 *)b;
    return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
  }
  return false;
}

bool outgoing_udp_add(int fd, const struct sockaddr_storage *remote, socklen_t remote_len,
                      const struct sockaddr_storage *intercept, socklen_t intercept_len) {
  for (int i = 0; i < ROUTES; i++) {
    struct route *route = &routes[i];
    if (route->fd != -1 || !try_write_begin(route)) continue;
    if (route->fd != -1) {
      write_end(route);
      continue;
    }
    atomic_fetch_add_explicit(&routes_in_use, 1, memory_order_acq_rel);
    route->fd = fd;
    route->remote = *remote;
    route->remote_len = remote_len;
    route->intercept = *intercept;
    route->intercept_len = intercept_len;
    write_end(route);
    return true;
  }
  return false;
}

/* Copies slot i when it belongs to fd; a slot being rewritten is skipped after bounded retries. */
static bool read_route(int i, int fd, struct route *copy) {
  struct route *route = &routes[i];
  for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
    unsigned before = atomic_load_explicit(&route->seq, memory_order_acquire);
    if (before & 1u) continue;
    if (route->fd != fd) return false;
    copy->remote = route->remote;
    copy->remote_len = route->remote_len;
    copy->intercept = route->intercept;
    copy->intercept_len = route->intercept_len;
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&route->seq, memory_order_relaxed) == before) return true;
  }
  return false;
}

bool outgoing_udp_intercept(int fd, const struct sockaddr *remote, socklen_t remote_len, struct sockaddr_storage *out,
                            socklen_t *out_len) {
  struct route copy;
  if (no_routes()) return false;
  for (int i = 0; i < ROUTES; i++) {
    if (!read_route(i, fd, &copy) || !same_endpoint(remote, remote_len, &copy.remote, copy.remote_len)) continue;
    *out = copy.intercept;
    *out_len = copy.intercept_len;
    return true;
  }
  return false;
}

bool outgoing_udp_remote(int fd, const struct sockaddr *source, socklen_t source_len, struct sockaddr_storage *out,
                         socklen_t *out_len) {
  struct route copy;
  if (no_routes()) return false;
  for (int i = 0; i < ROUTES; i++) {
    if (!read_route(i, fd, &copy) || !same_endpoint(source, source_len, &copy.intercept, copy.intercept_len)) continue;
    *out = copy.remote;
    *out_len = copy.remote_len;
    return true;
  }
  return false;
}

static void forget(int fd) {
  if (no_routes()) return;
  for (int i = 0; i < ROUTES; i++) {
    struct route *route = &routes[i];
    if (route->fd != fd) continue;
    while (!try_write_begin(route)) {
    }
    bool freed = route->fd == fd;
    if (freed) route->fd = -1;
    write_end(route);
    if (freed) atomic_fetch_sub_explicit(&routes_in_use, 1, memory_order_acq_rel);
  }
}

static void duplicated(int from, int to) {
  if (no_routes()) return;
  forget(to);
  struct route copy;
  for (int i = 0; i < ROUTES; i++)
    if (read_route(i, from, &copy))
      outgoing_udp_add(to, &copy.remote, copy.remote_len, &copy.intercept, copy.intercept_len);
}

__attribute__((constructor)) static void routes_follow_fd_events(void) {
  static const struct fd_events_listener listener = {forget, duplicated};
  fd_events_subscribe(&listener);
}
