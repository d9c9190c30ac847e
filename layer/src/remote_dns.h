/* Name resolution through the agent (`feature.network.dns`): the decision and the request. */
#ifndef MIRRORD_LAYER_REMOTE_DNS_H
#define MIRRORD_LAYER_REMOTE_DNS_H

#include <netdb.h>
#include <stdbool.h>

/* Whether `node` (with `service`) is resolved in the target: DNS on, a name given, the filter agrees. */
bool remote_dns_wanted(const char *node, const char *service);

/* getaddrinfo answered by the agent; the list can be freed with libc's freeaddrinfo. */
int remote_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res);

/* gethostbyname answered by the agent (IPv4 only); NULL with h_errno set when nothing resolves. */
struct hostent *remote_gethostbyname(const char *name);

/* gethostbyname_r answered by the agent (IPv4 only), laid out in the caller's buffer: 0 (with *result
 * NULL and *h_errnop HOST_NOT_FOUND when nothing resolves), ERANGE when buf is too small, EAGAIN. */
int remote_gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen, struct hostent **result,
                           int *h_errnop);

/* The target's name for an AF_INET/AF_INET6 address (its hosts file, then PTR through its nameservers):
 * 0 with `host` filled, or an EAI_* code (EAI_NONAME: no name, EAI_OVERFLOW: host too small). */
int remote_reverse_lookup(const struct sockaddr *addr, char *host, size_t hostlen);

#endif
