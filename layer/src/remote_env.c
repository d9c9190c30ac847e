#include "remote_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy_client.h"
#include "sys.h"

extern char **environ;

static char *copy_text(mp_bytes text) {
  char *copy = malloc((size_t)text.len + 1);
  if (!copy) return NULL;
  memcpy(copy, text.ptr, text.len);
  copy[text.len] = '\0';
  return copy;
}

static int set_variables(const mp_message *reply, void *ctx) {
  (void)ctx;
  if (reply->tag != MP_MSG_ENV) return -1;
  for (uint32_t i = 0; i < reply->u.env.vars.count; i++) {
    char *name = copy_text(reply->u.env.vars.items[i].name);
    char *value = copy_text(reply->u.env.vars.items[i].value);
    if (name && value && name[0] && !strchr(name, '=')) setenv(name, value, 1);
    free(name);
    free(value);
  }
  return 0;
}

static void fetch_remote_env(const layer_config *config) {
  const char *fetched = getenv("MIRRORD_REMOTE_ENV_FETCHED");
  if (fetched && strcmp(fetched, "true") == 0) return;
  mp_message request = {.tag = MP_MSG_GET_ENV};
  request.u.get_env.include.count = config->env_include.count;
  request.u.get_env.include.items = config->env_include.items;
  request.u.get_env.exclude.count = config->env_exclude.count;
  request.u.get_env.exclude.items = config->env_exclude.items;
  int rc = proxy_call(&request, set_variables, NULL);
  if (rc != 0) {
    char line[200];
    snprintf(line, sizeof(line), "mirrord-layer: could not load the target's environment (%s)\n", strerror(-rc));
    sys_say(line);
    return;
  }
  setenv("MIRRORD_REMOTE_ENV_FETCHED", "true", 1);
}

static bool is_unset(const layer_config *config, const char *entry, size_t name_len) {
  for (uint32_t i = 0; i < config->env_unset.count; i++) {
    mp_bytes unset = config->env_unset.items[i];
    if (unset.len == name_len && strncasecmp((const char *)unset.ptr, entry, name_len) == 0) return true;
  }
  return false;
}

static void remove_unset(const layer_config *config) {
  if (config->env_unset.count == 0) return;
  for (;;) {
    /* Restart after each removal: unsetenv rearranges environ. */
    char *found = NULL;
    for (char **entry = environ; entry && *entry && !found; entry++) {
      const char *equals = strchr(*entry, '=');
      size_t len = equals ? (size_t)(equals - *entry) : strlen(*entry);
      if (is_unset(config, *entry, len)) found = strndup(*entry, len);
    }
    if (!found) return;
    unsetenv(found);
    free(found);
  }
}

void remote_env_apply(const layer_config *config) {
  if (config->load_env_from_process) fetch_remote_env(config);
  remove_unset(config);
}
