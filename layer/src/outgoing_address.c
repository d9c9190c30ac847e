#include "outgoing_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/un.h>

static const uint8_t V4_MAPPED_PREFIX[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* A BSD sockaddr starts with its own length (sa_len); Linux has no such field. */
static socklen_t with_length(struct sockaddr_storage *out, socklen_t len) {
#ifdef __APPLE__
  out->ss_len = (uint8_t)len;
#else
  (void)out;
#endif
  return len;
}

bool outgoing_address_from_sockaddr(const struct sockaddr *sa, socklen_t len, mp_socket_address *out) {
  if (!sa || len < offsetof(struct sockaddr, sa_family) + sizeof(sa_family_t)) return false;
  memset(out, 0, sizeof(*out));
  switch (sa->sa_family) {
  case AF_INET: {
    if (len < sizeof(struct sockaddr_in)) return false;
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    out->kind = MP_SOCKET_ADDRESS_IPV4;
    memcpy(out->u.ipv4.ip, &in->sin_addr, 4);
    out->u.ipv4.port = ntohs(in->sin_port);
    return true;
  }
  case AF_INET6: {
    if (len < sizeof(struct sockaddr_in6)) return false;
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    out->kind = MP_SOCKET_ADDRESS_IPV6;
    memcpy(out->u.ipv6.ip, &in6->sin6_addr, 16);
    out->u.ipv6.port = ntohs(in6->sin6_port);
    out->u.ipv6.flowinfo = ntohl(in6->sin6_flowinfo);
    out->u.ipv6.scope_id = in6->sin6_scope_id;
    return true;
  }
  case AF_UNIX: {
    const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
    size_t path_len = len > offsetof(struct sockaddr_un, sun_path) ? len - offsetof(struct sockaddr_un, sun_path) : 0;
    if (path_len > sizeof(un->sun_path)) path_len = sizeof(un->sun_path);
    if (path_len == 0) {
      out->kind = MP_SOCKET_ADDRESS_UNIX_UNNAMED;
      return true;
    }
    if (un->sun_path[0] == '\0') {
      out->kind = MP_SOCKET_ADDRESS_UNIX_ABSTRACT;
      out->u.unix_abstract.name = (mp_bytes){(const uint8_t *)un->sun_path + 1, (uint32_t)(path_len - 1)};
      return true;
    }
    size_t used = strnlen(un->sun_path, path_len);
    out->kind = MP_SOCKET_ADDRESS_UNIX_PATH;
    out->u.unix_path.path = (mp_bytes){(const uint8_t *)un->sun_path, (uint32_t)used};
    return true;
  }
  default:
    return false;
  }
}

socklen_t outgoing_address_to_sockaddr(const mp_socket_address *address, int domain, struct sockaddr_storage *out) {
  memset(out, 0, sizeof(*out));
  switch (address->kind) {
  case MP_SOCKET_ADDRESS_IPV4:
    if (domain == AF_INET) {
      struct sockaddr_in *in = (struct sockaddr_in *)out;
      in->sin_family = AF_INET;
      in->sin_port = htons(address->u.ipv4.port);
      memcpy(&in->sin_addr, address->u.ipv4.ip, 4);
      return with_length(out, sizeof(*in));
    }
    if (domain == AF_INET6) {
      struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons(address->u.ipv4.port);
      memcpy(&in6->sin6_addr, V4_MAPPED_PREFIX, 12);
      memcpy((uint8_t *)&in6->sin6_addr + 12, address->u.ipv4.ip, 4);
      return with_length(out, sizeof(*in6));
    }
    return 0;
  case MP_SOCKET_ADDRESS_IPV6: {
    if (domain != AF_INET6) return 0;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(address->u.ipv6.port);
    in6->sin6_flowinfo = htonl(address->u.ipv6.flowinfo);
    in6->sin6_scope_id = address->u.ipv6.scope_id;
    memcpy(&in6->sin6_addr, address->u.ipv6.ip, 16);
    return with_length(out, sizeof(*in6));
  }
  case MP_SOCKET_ADDRESS_UNIX_PATH:
  case MP_SOCKET_ADDRESS_UNIX_ABSTRACT:
  case MP_SOCKET_ADDRESS_UNIX_UNNAMED: {
    if (domain != AF_UNIX) return 0;
    struct sockaddr_un *un = (struct sockaddr_un *)out;
    un->sun_family = AF_UNIX;
    size_t base = offsetof(struct sockaddr_un, sun_path);
    if (address->kind == MP_SOCKET_ADDRESS_UNIX_UNNAMED) return with_length(out, (socklen_t)base);
    bool abstract = address->kind == MP_SOCKET_ADDRESS_UNIX_ABSTRACT;
    const mp_bytes *name = abstract ? &address->u.unix_abstract.name : &address->u.unix_path.path;
    size_t room = sizeof(un->sun_path) - 1;
    if (name->len > room) return 0;
    memcpy(un->sun_path + (abstract ? 1 : 0), name->ptr, name->len);
    return with_length(out, (socklen_t)(base + name->len + 1));
  }
  default:
    return 0;
  }
}

int outgoing_address_ip(const struct sockaddr *sa, socklen_t len, uint8_t ip[16], uint16_t *port) {
  if (sa && sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    memcpy(ip, &in->sin_addr, 4);
    *port = ntohs(in->sin_port);
    return 4;
  }
  if (sa && sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    *port = ntohs(in6->sin6_port);
    if (memcmp(&in6->sin6_addr, V4_MAPPED_PREFIX, 12) == 0) {
      memcpy(ip, (const uint8_t *)&in6->sin6_addr + 12, 4);
      return 4;
    }
    memcpy(ip, &in6->sin6_addr, 16);
    return 16;
  }
  return 0;
}

void outgoing_address_copy_out(const struct sockaddr_storage *from, socklen_t from_len, struct sockaddr *to,
                               socklen_t *len) {
  if (!to || !len) return;
  socklen_t room = *len;
  memcpy(to, from, room < from_len ? room : from_len);
  *len = from_len;
}
