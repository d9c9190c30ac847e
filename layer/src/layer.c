/* libmirrord_layer: constructor. Decides once, at load time, whether this process is under mirrord. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "layer_env.h"

#define LAYER_EXPORT __attribute__((visibility("default")))

/* Lets `mirrord diagnose` and tests confirm which layer a process loaded (dlsym / nm -D). */
LAYER_EXPORT const char mirrord_layer_version[] = MIRRORD_LAYER_VERSION;

static struct layer_env layer;

static void say(const char *text) {
  size_t len = strlen(text);
  while (len > 0) {
    ssize_t n = write(STDERR_FILENO, text, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text += n;
    len -= (size_t)n;
  }
}

__attribute__((constructor)) static void layer_init(void) {
  int saved_errno = errno;
  layer_env_read(&layer);
  char line[256];
  switch (layer.mode) {
  case LAYER_INACTIVE:
    if (layer.debug) say("mirrord-layer: inactive (no mirrord session in the environment)\n");
    break;
  case LAYER_MISCONFIGURED:
    snprintf(line, sizeof(line), "mirrord-layer: not active in pid %d: %s\n", (int)getpid(), layer.problem);
    say(line);
    break;
  case LAYER_ACTIVE:
    if (layer.debug) {
      snprintf(line, sizeof(line), "mirrord-layer: active in pid %d\n", (int)getpid());
      say(line);
    }
    break;
  }
  errno = saved_errno;
}
