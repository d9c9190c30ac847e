/* getaddrinfo / gethostbyname(_r) / getnameinfo: names resolved in the target when `feature.network.dns` says so. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <string.h>

#include "../guard.h"
#include "../layer.h"
#include "../real.h"
#include "../remote_dns.h"

LAYER_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                             struct addrinfo **res) {
  bool numeric = hints && (hints->ai_flags & AI_NUMERICHOST);
  if (numeric || !remote_dns_wanted(node, service) || !guard_enter()) {
    return REAL(getaddrinfo)(node, service, hints, res);
  }
  int saved_errno = errno;
  int rc = remote_getaddrinfo(node, service, hints, res);
  guard_leave();
  if (rc != EAI_SYSTEM) errno = saved_errno;
  return rc;
}

LAYER_EXPORT struct hostent *gethostbyname(const char *name) {
  if (!remote_dns_wanted(name, NULL) || !guard_enter()) return REAL(gethostbyname)(name);
  int saved_errno = errno;
  struct hostent *host = remote_gethostbyname(name);
  guard_leave();
  errno = saved_errno;
  return host;
}

LAYER_EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
                                 struct hostent **result, int *h_errnop) {
  if (!remote_dns_wanted(name, NULL) || !guard_enter())
    return REAL(gethostbyname_r)(name, ret, buf, buflen, result, h_errnop);
  int saved_errno = errno;
  int rc = remote_gethostbyname_r(name, ret, buf, buflen, result, h_errnop);
  guard_leave();
  errno = saved_errno;
  return rc;
}

/* The target's name for addr into host; when it has none, the numeric form (unless NI_NAMEREQD). */
static int reverse_into(const struct sockaddr *addr, const char *numeric, char *host, socklen_t hostlen, int flags) {
  int rc = remote_reverse_lookup(addr, host, hostlen);
  if (rc != EAI_NONAME && rc != EAI_AGAIN) return rc;
  if (flags & NI_NAMEREQD) return rc;
  if (strlen(numeric) >= hostlen) return EAI_OVERFLOW;
  strcpy(host, numeric);
  return 0;
}

/* The service part and numeric forms stay libc's; only the host name comes from the target. */
LAYER_EXPORT int getnameinfo(const struct sockaddr *addr, socklen_t addrlen, char *host, socklen_t hostlen,
                             char *serv, socklen_t servlen, int flags) {
  bool ip = addr && ((addr->sa_family == AF_INET && addrlen >= sizeof(struct sockaddr_in)) ||
                     (addr->sa_family == AF_INET6 && addrlen >= sizeof(struct sockaddr_in6)));
  if (!ip || !host || hostlen == 0 || (flags & NI_NUMERICHOST) || !guard_enter())
    return REAL(getnameinfo)(addr, addrlen, host, hostlen, serv, servlen, flags);
  int saved_errno = errno;
  char numeric[INET6_ADDRSTRLEN];
  int rc = REAL(getnameinfo)(addr, addrlen, numeric, sizeof(numeric), serv, servlen,
                             (flags | NI_NUMERICHOST) & ~NI_NAMEREQD);
  bool remote = rc == 0 && remote_dns_wanted(numeric, NULL);
  if (remote) rc = reverse_into(addr, numeric, host, hostlen, flags);
  guard_leave();
  errno = saved_errno;
  if (remote || rc != 0) return rc;
  return REAL(getnameinfo)(addr, addrlen, host, hostlen, serv, servlen, flags);
}
