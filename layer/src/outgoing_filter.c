#include "outgoing_filter.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "address_filter.h"
#include "pattern.h"
#include "real.h"
#include "remote_dns.h"
#include "sys.h"

#define MAX_UNIX_PATTERNS 64
#define FILTER_ANY 0
#define FILTER_TCP 1
#define FILTER_UDP 2

static bool is_loopback(const uint8_t *ip, int len) {
  static const uint8_t v6_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return len == 4 ? ip[0] == 127 : memcmp(ip, v6_loopback, 16) == 0;
}

static bool is_unspecified(const uint8_t *ip, int len) {
  for (int i = 0; i < len; i++)
    if (ip[i]) return false;
  return true;
}

static bool result_has_ip(const struct addrinfo *list, const uint8_t *ip, int len) {
  for (const struct addrinfo *p = list; p; p = p->ai_next) {
    uint8_t found[16];
    int found_len = 0;
    if (p->ai_family == AF_INET && len == 4) {
      memcpy(found, &((const struct sockaddr_in *)p->ai_addr)->sin_addr, 4);
      found_len = 4;
    } else if (p->ai_family == AF_INET6 && len == 16) {
      memcpy(found, &((const struct sockaddr_in6 *)p->ai_addr)->sin6_addr, 16);
      found_len = 16;
    }
    if (found_len && memcmp(found, ip, (size_t)len) == 0) return true;
  }
  return false;
}

/* 1 match, 0 no match, -1 resolution failed (errno set). */
static int name_matches(const mp_msg_layer_config *config, const mp_bytes *name, uint8_t transport, const uint8_t *ip,
                        int ip_len) {
  char host[256];
  if (name->len >= sizeof(host)) return 0;
  memcpy(host, name->ptr, name->len);
  host[name->len] = '\0';
  struct addrinfo hints = {.ai_family = ip_len == 4 ? AF_INET : AF_INET6,
                           .ai_socktype = transport == MP_TRANSPORT_UDP ? SOCK_DGRAM : SOCK_STREAM};
  struct addrinfo *list = NULL;
  bool through_agent = config->dns_enabled && config->outgoing_filter_side == 1;
  int rc = through_agent ? remote_getaddrinfo(host, NULL, &hints, &list) : REAL(getaddrinfo)(host, NULL, &hints, &list);
  if (rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_AGAIN) return 0;
  if (rc != 0) {
    errno = rc == EAI_SYSTEM && errno ? errno : EHOSTUNREACH;
    return -1;
  }
  bool found = result_has_ip(list, ip, ip_len);
  freeaddrinfo(list);
  return found;
}

enum outgoing_decision outgoing_filter_ip(const mp_msg_layer_config *config, uint8_t transport, const uint8_t *ip,
                                          int ip_len, uint16_t port) {
  bool enabled = transport == MP_TRANSPORT_UDP ? config->outgoing_udp : config->outgoing_tcp;
  if (!enabled || port == 0) return OUTGOING_LOCAL;
  if ((is_loopback(ip, ip_len) || is_unspecified(ip, ip_len)) && config->outgoing_ignore_localhost)
    return OUTGOING_LOCAL;
  if (config->outgoing_filter_side == 0) return OUTGOING_REMOTE;
  bool listed = false;
  for (uint32_t i = 0; i < config->outgoing_filter.count && !listed; i++) {
    const mp_outgoing_filter_entry *filter = &config->outgoing_filter.items[i];
    if (filter->protocol == FILTER_TCP && transport != MP_TRANSPORT_TCP) continue;
    if (filter->protocol == FILTER_UDP && transport != MP_TRANSPORT_UDP) continue;
    uint16_t wanted = address_filter_entry_port(&filter->entry);
    if (wanted != 0 && wanted != port) continue;
    if (filter->entry.kind == MP_ADDRESS_FILTER_ENTRY_NAME) {
      int matched = name_matches(config, &filter->entry.u.name.name, transport, ip, ip_len);
      if (matched < 0) return OUTGOING_FAILED;
      listed = matched == 1;
    } else {
      listed = address_filter_entry_matches_ip(&filter->entry, ip, ip_len);
    }
  }
  bool remote = config->outgoing_filter_side == 1 ? listed : !listed;
  return remote ? OUTGOING_REMOTE : OUTGOING_LOCAL;
}

static struct {
  pthread_once_t once;
  struct pattern compiled[MAX_UNIX_PATTERNS];
  uint32_t count;
} unix_patterns = {.once = PTHREAD_ONCE_INIT};
static const mp_msg_layer_config *unix_config;

static void compile_unix_patterns(void) {
  for (uint32_t i = 0; i < unix_config->outgoing_unix_streams.count && unix_patterns.count < MAX_UNIX_PATTERNS; i++) {
    const mp_bytes *pattern = &unix_config->outgoing_unix_streams.items[i];
    if (!pattern_compile(&unix_patterns.compiled[unix_patterns.count], pattern->ptr, pattern->len)) {
      char line[200];
      snprintf(line, sizeof(line), "mirrord-layer: outgoing.unix_streams pattern %u does not compile; ignored\n", i);
      sys_say(line);
      continue;
    }
    unix_patterns.count++;
  }
}

bool outgoing_filter_unix(const mp_msg_layer_config *config, const uint8_t *name, uint32_t len) {
  if (config->outgoing_unix_streams.count == 0) return false;
  unix_config = config;
  pthread_once(&unix_patterns.once, compile_unix_patterns);
  for (uint32_t i = 0; i < unix_patterns.count; i++)
    if (pattern_search(&unix_patterns.compiled[i], name, len)) return true;
  return false;
}
