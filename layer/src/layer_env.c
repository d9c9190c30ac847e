#include "layer_env.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool parse_port(const char *text, in_port_t *out) {
  if (*text == '\0') return false;
  unsigned long value = 0;
  for (const char *p = text; *p; p++) {
    if (*p < '0' || *p > '9') return false;
    value = value * 10 + (unsigned long)(*p - '0');
    if (value > 65535) return false;
  }
  if (value == 0) return false;
  *out = htons((in_port_t)value);
  return true;
}

bool layer_env_parse_addr(const char *text, struct sockaddr_storage *out) {
  char host[INET6_ADDRSTRLEN + 1];
  const char *port_text;
  memset(out, 0, sizeof(*out));

  if (text[0] == '[') {
    const char *close = strchr(text, ']');
    if (!close || close[1] != ':') return false;
    size_t len = (size_t)(close - text - 1);
    if (len == 0 || len >= sizeof(host)) return false;
    memcpy(host, text + 1, len);
    host[len] = '\0';
    port_text = close + 2;
    struct sockaddr_in6 *addr = (struct sockaddr_in6 *)out;
    addr->sin6_family = AF_INET6;
    return inet_pton(AF_INET6, host, &addr->sin6_addr) == 1 && parse_port(port_text, &addr->sin6_port);
  }

  const char *colon = strrchr(text, ':');
  if (!colon) return false;
  size_t len = (size_t)(colon - text);
  if (len == 0 || len >= sizeof(host)) return false;
  memcpy(host, text, len);
  host[len] = '\0';
  port_text = colon + 1;
  struct sockaddr_in *addr = (struct sockaddr_in *)out;
  addr->sin_family = AF_INET;
  return inet_pton(AF_INET, host, &addr->sin_addr) == 1 && parse_port(port_text, &addr->sin_port);
}

void layer_env_read(struct layer_env *out) {
  memset(out, 0, sizeof(*out));
  const char *debug = getenv("MIRRORD_LAYER_DEBUG");
  out->debug = debug && debug[0] && strcmp(debug, "0") != 0 && strcmp(debug, "false") != 0;

  const char *addr = getenv("MIRRORD_LAYER_INTPROXY_ADDR");
  const char *config = getenv("MIRRORD_RESOLVED_CONFIG");
  if (!addr && !config) {
    out->mode = LAYER_INACTIVE;
    return;
  }
  if (!addr || !addr[0]) {
    out->mode = LAYER_MISCONFIGURED;
    snprintf(out->problem, sizeof(out->problem), "MIRRORD_LAYER_INTPROXY_ADDR is not set");
    return;
  }
  if (!layer_env_parse_addr(addr, &out->intproxy_addr)) {
    out->mode = LAYER_MISCONFIGURED;
    snprintf(out->problem, sizeof(out->problem),
             "MIRRORD_LAYER_INTPROXY_ADDR=\"%.64s\" is not an ip:port address", addr);
    return;
  }
  if (!config || !config[0]) {
    out->mode = LAYER_MISCONFIGURED;
    snprintf(out->problem, sizeof(out->problem), "MIRRORD_RESOLVED_CONFIG is not set");
    return;
  }
  out->mode = LAYER_ACTIVE;
}
