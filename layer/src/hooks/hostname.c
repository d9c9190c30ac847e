/* gethostname / uname: the target pod's hostname when `feature.hostname` is on (layer.md §9). */
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../guard.h"
#include "../layer.h"
#include "../real.h"
#include "../remote_identity.h"

/* The remote name for this call, or NULL to use the local one. Restores errno either way. */
static const char *hostname_for_call(void) {
  if (!layer_feature_hostname() || !guard_enter()) return NULL;
  int saved_errno = errno;
  const char *name = remote_hostname();
  guard_leave();
  errno = saved_errno;
  return name;
}

LAYER_EXPORT int gethostname(char *name, size_t len) {
  const char *remote = hostname_for_call();
  if (!remote) return REAL(gethostname)(name, len);
  size_t needed = strlen(remote) + 1;
  if (needed > len) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(name, remote, needed);
  return 0;
}

LAYER_EXPORT int uname(struct utsname *buf) {
  int rc = REAL(uname)(buf);
  const char *remote = rc == 0 ? hostname_for_call() : NULL;
  if (remote) {
    size_t len = strlen(remote);
    if (len >= sizeof(buf->nodename)) len = sizeof(buf->nodename) - 1;
    memcpy(buf->nodename, remote, len);
    buf->nodename[len] = '\0';
  }
  return rc;
}
