/* getaddrinfo / gethostbyname: names resolved in the target when `feature.network.dns` says so. */
#include <errno.h>
#include <netdb.h>

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
