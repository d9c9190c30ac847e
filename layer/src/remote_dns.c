#include "remote_dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address_filter.h"
#include "layer.h"
#include "proxy_client.h"

#define MAX_HOST_ADDRESSES 16

static uint16_t numeric_port(const char *service) {
  if (!service || !*service) return 0;
  unsigned long value = 0;
  for (const char *p = service; *p; p++) {
    if (*p < '0' || *p > '9') return 0;
    value = value * 10 + (unsigned long)(*p - '0');
    if (value > 65535) return 0;
  }
  return (uint16_t)value;
}

bool remote_dns_wanted(const char *node, const char *service) {
  const mp_msg_layer_config *config = layer_active_config();
  if (!config || !config->dns_enabled || !node || !*node) return false;
  if (config->dns_filter_side == 0) return true;
  bool listed = address_filter_matches(config->dns_filter.items, config->dns_filter.count, node, numeric_port(service));
  return config->dns_filter_side == 1 ? listed : !listed;
}

static mp_bytes text_view(const char *text) {
  return (mp_bytes){(const uint8_t *)(text ? text : ""), text ? (uint32_t)strlen(text) : 0};
}

/* Outcome of one GetAddrInfo round trip, filled while the reply is held. */
struct lookup {
  int flags;
  struct addrinfo *head;
  int eai; /* 0, or the EAI_* code of an ErrorReply */
};

/* One allocation per node holding the addrinfo and its address, as glibc lays them out, so that glibc's
 * freeaddrinfo (free(ai_canonname); free(node)) releases what we built. */
struct addrinfo_node {
  struct addrinfo info;
  struct sockaddr_storage address;
};

static struct addrinfo *node_of(const mp_addr_info_entry *entry) {
  struct addrinfo_node *node = calloc(1, sizeof(*node));
  if (!node) return NULL;
  node->info.ai_family = entry->family;
  node->info.ai_socktype = entry->socktype;
  node->info.ai_protocol = entry->protocol;
  node->info.ai_addr = (struct sockaddr *)&node->address;
  if (entry->address.kind == MP_IP_ADDRESS_V4) {
    struct sockaddr_in *in = (struct sockaddr_in *)&node->address;
    in->sin_family = AF_INET;
    in->sin_port = htons(entry->port);
    memcpy(&in->sin_addr, entry->address.u.v4.octets, 4);
    node->info.ai_addrlen = sizeof(*in);
  } else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&node->address;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(entry->port);
    memcpy(&in6->sin6_addr, entry->address.u.v6.octets, 16);
    node->info.ai_addrlen = sizeof(*in6);
  }
  return &node->info;
}

static int collect(const mp_message *reply, void *ctx) {
  struct lookup *lookup = ctx;
  if (reply->tag == MP_MSG_ERROR_REPLY) {
    int code = reply->u.error_reply.error.errno_;
    lookup->eai = code < 0 ? code : EAI_FAIL;
    return 0;
  }
  if (reply->tag != MP_MSG_ADDR_INFO) return -EPROTO;
  struct addrinfo **tail = &lookup->head;
  for (uint32_t i = 0; i < reply->u.addr_info.entries.count; i++) {
    const mp_addr_info_entry *entry = &reply->u.addr_info.entries.items[i];
    struct addrinfo *node = node_of(entry);
    if (!node) return -ENOMEM;
    node->ai_flags = lookup->flags;
    if (i == 0 && (lookup->flags & AI_CANONNAME) && entry->canonname.len > 0) {
      node->ai_canonname = strndup((const char *)entry->canonname.ptr, entry->canonname.len);
    }
    *tail = node;
    tail = &node->ai_next;
  }
  return 0;
}

static int ask(const char *node, const char *service, int family, int socktype, int protocol, struct lookup *lookup) {
  mp_message request = {.tag = MP_MSG_GET_ADDR_INFO};
  request.u.get_addr_info.node = text_view(node);
  request.u.get_addr_info.service = text_view(service);
  request.u.get_addr_info.family = family;
  request.u.get_addr_info.socktype = socktype;
  request.u.get_addr_info.protocol = protocol;
  request.u.get_addr_info.flags = lookup->flags;
  return proxy_call_raw(&request, collect, lookup);
}

int remote_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res) {
  struct lookup lookup = {.flags = hints ? hints->ai_flags : 0};
  int rc = ask(node, service, hints ? hints->ai_family : AF_UNSPEC, hints ? hints->ai_socktype : 0,
               hints ? hints->ai_protocol : 0, &lookup);
  if (rc != 0 || lookup.eai != 0) {
    freeaddrinfo(lookup.head);
    if (rc != 0) {
      errno = -rc;
      return EAI_SYSTEM;
    }
    return lookup.eai;
  }
  if (!lookup.head) return EAI_NONAME;
  *res = lookup.head;
  return 0;
}

/* The IPv4 addresses of `name` in the target: how many were written to `out` (at most `max`), or -1
 * with *h_error set (HOST_NOT_FOUND, TRY_AGAIN). */
static int lookup_ipv4(const char *name, struct in_addr *out, int max, int *h_error) {
  struct lookup lookup = {.flags = 0};
  int rc = ask(name, "", AF_INET, SOCK_STREAM, 0, &lookup);
  if (rc != 0 || lookup.eai != 0 || !lookup.head) {
    freeaddrinfo(lookup.head);
    *h_error = rc != 0 || lookup.eai == EAI_AGAIN ? TRY_AGAIN : HOST_NOT_FOUND;
    return -1;
  }
  int count = 0;
  for (struct addrinfo *p = lookup.head; p && count < max; p = p->ai_next)
    out[count++] = ((struct sockaddr_in *)p->ai_addr)->sin_addr;
  freeaddrinfo(lookup.head);
  return count;
}

struct hostent *remote_gethostbyname(const char *name) {
  static struct hostent host;
  static char host_name[256];
  static char *no_aliases[1];
  static struct in_addr addresses[MAX_HOST_ADDRESSES];
  static char *address_list[MAX_HOST_ADDRESSES + 1];

  int h_error;
  int count = lookup_ipv4(name, addresses, MAX_HOST_ADDRESSES, &h_error);
  if (count < 0) {
    h_errno = h_error;
    return NULL;
  }
  for (int i = 0; i < count; i++) address_list[i] = (char *)&addresses[i];
  address_list[count] = NULL;
  strncpy(host_name, name, sizeof(host_name) - 1);
  host.h_name = host_name;
  host.h_aliases = no_aliases;
  host.h_addrtype = AF_INET;
  host.h_length = 4;
  host.h_addr_list = address_list;
  return &host;
}

/* Carves aligned pieces out of the caller's buffer for gethostbyname_r. */
struct carve {
  char *next;
  size_t left;
};

static void *carve(struct carve *c, size_t size, size_t align) {
  size_t pad = (align - ((uintptr_t)c->next % align)) % align;
  if (pad + size > c->left) return NULL;
  void *piece = c->next + pad;
  c->next += pad + size;
  c->left -= pad + size;
  return piece;
}

int remote_gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen, struct hostent **result,
                           int *h_errnop) {
  *result = NULL;
  struct in_addr found[MAX_HOST_ADDRESSES];
  int h_error = 0;
  int count = lookup_ipv4(name, found, MAX_HOST_ADDRESSES, &h_error);
  if (count < 0) {
    if (h_errnop) *h_errnop = h_error;
    return h_error == TRY_AGAIN ? EAGAIN : 0;
  }
  struct carve c = {buf, buflen};
  char **aliases = carve(&c, sizeof(char *), sizeof(char *));
  char **list = carve(&c, sizeof(char *) * (size_t)(count + 1), sizeof(char *));
  struct in_addr *addresses = carve(&c, sizeof(struct in_addr) * (size_t)count, sizeof(struct in_addr));
  char *host_name = carve(&c, strlen(name) + 1, 1);
  if (!aliases || !list || (count && !addresses) || !host_name) {
    if (h_errnop) *h_errnop = NETDB_INTERNAL;
    return ERANGE;
  }
  aliases[0] = NULL;
  for (int i = 0; i < count; i++) {
    addresses[i] = found[i];
    list[i] = (char *)&addresses[i];
  }
  list[count] = NULL;
  memcpy(host_name, name, strlen(name) + 1);
  *ret = (struct hostent){.h_name = host_name, .h_aliases = aliases, .h_addrtype = AF_INET, .h_length = 4,
                          .h_addr_list = list};
  *result = ret;
  if (h_errnop) *h_errnop = 0;
  return 0;
}

struct reverse {
  char *host;
  size_t hostlen;
  int eai;
};

static int copy_hostname(const mp_message *reply, void *ctx) {
  struct reverse *reverse = ctx;
  if (reply->tag == MP_MSG_ERROR_REPLY) {
    reverse->eai = reply->u.error_reply.error.errno_ < 0 ? reply->u.error_reply.error.errno_ : EAI_FAIL;
    return 0;
  }
  if (reply->tag != MP_MSG_REVERSE_LOOKUP_RESULT) return -EPROTO;
  mp_bytes name = reply->u.reverse_lookup_result.hostname;
  if (name.len + 1 > reverse->hostlen) {
    reverse->eai = EAI_OVERFLOW;
    return 0;
  }
  memcpy(reverse->host, name.ptr, name.len);
  reverse->host[name.len] = '\0';
  return 0;
}

int remote_reverse_lookup(const struct sockaddr *addr, char *host, size_t hostlen) {
  mp_message request = {.tag = MP_MSG_REVERSE_LOOKUP};
  if (addr->sa_family == AF_INET) {
    request.u.reverse_lookup.address.kind = MP_IP_ADDRESS_V4;
    memcpy(request.u.reverse_lookup.address.u.v4.octets, &((const struct sockaddr_in *)addr)->sin_addr, 4);
  } else {
    request.u.reverse_lookup.address.kind = MP_IP_ADDRESS_V6;
    memcpy(request.u.reverse_lookup.address.u.v6.octets, &((const struct sockaddr_in6 *)addr)->sin6_addr, 16);
  }
  struct reverse reverse = {host, hostlen, 0};
  int rc = proxy_call_raw(&request, copy_hostname, &reverse);
  if (rc != 0) return EAI_AGAIN;
  return reverse.eai;
}
