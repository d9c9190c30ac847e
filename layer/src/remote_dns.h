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

#endif
