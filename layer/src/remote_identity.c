#include "remote_identity.h"

#include <pthread.h>
#include <string.h>

#include "proxy_client.h"

static pthread_mutex_t hostname_lock = PTHREAD_MUTEX_INITIALIZER;
static char hostname[256];
static volatile int hostname_state; /* 0 unknown, 1 cached, -1 unavailable */

static int copy_hostname(const mp_message *reply, void *ctx) {
  (void)ctx;
  if (reply->tag != MP_MSG_HOSTNAME) return -1;
  mp_bytes name = reply->u.hostname.hostname;
  if (name.len == 0 || name.len >= sizeof(hostname) || memchr(name.ptr, '\0', name.len)) return -1;
  memcpy(hostname, name.ptr, name.len);
  hostname[name.len] = '\0';
  return 0;
}

const char *remote_hostname(void) {
  if (hostname_state == 0) {
    pthread_mutex_lock(&hostname_lock);
    if (hostname_state == 0) {
      mp_message request = {.tag = MP_MSG_GET_HOSTNAME};
      hostname_state = proxy_call(&request, copy_hostname, NULL) == 0 ? 1 : -1;
    }
    pthread_mutex_unlock(&hostname_lock);
  }
  return hostname_state == 1 ? hostname : NULL;
}
