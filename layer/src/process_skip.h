/* Which processes the layer leaves alone (layer.md §8b): build tools, `skip_processes`, debugger workers. */
#ifndef MIRRORD_LAYER_PROCESS_SKIP_H
#define MIRRORD_LAYER_PROCESS_SKIP_H

#include <stdbool.h>

#include "layer_config.h"

/* exec_name: basename of /proc/self/exe; invoked_as: basename of argv[0]. Either may be NULL. */
bool process_is_skipped(const layer_config *config, const char *exec_name, const char *invoked_as);

/* Basename of a path (pointer into it). */
const char *path_basename(const char *path);

#endif
