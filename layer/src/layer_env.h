/* What the CLI hands the layer through the environment, read once in the constructor. */
#ifndef MIRRORD_LAYER_ENV_H
#define MIRRORD_LAYER_ENV_H

#include <netinet/in.h>
#include <stdbool.h>

enum layer_mode {
  LAYER_INACTIVE = 0, /* no mirrord session for this process: every hook bypasses */
  LAYER_ACTIVE,       /* connected to an intproxy */
  LAYER_MISCONFIGURED /* mirrord variables present but unusable: bypass, and say why once */
};

struct layer_env {
  enum layer_mode mode;
  struct sockaddr_storage intproxy_addr;
  bool debug;
  char problem[160]; /* why the mode is LAYER_MISCONFIGURED */
};

/* Reads MIRRORD_LAYER_INTPROXY_ADDR / MIRRORD_RESOLVED_CONFIG / MIRRORD_LAYER_DEBUG from environ. */
void layer_env_read(struct layer_env *out);

/* Parses "ipv4:port" or "[ipv6]:port"; returns false on anything else. */
bool layer_env_parse_addr(const char *text, struct sockaddr_storage *out);

#endif
