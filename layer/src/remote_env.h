/* The target's environment inside the process (`load_from_process`) and `unset`; constructor only. */
#ifndef MIRRORD_LAYER_REMOTE_ENV_H
#define MIRRORD_LAYER_REMOTE_ENV_H

#include "layer_config.h"

/*
 * With load_from_process (and unless an ancestor already did it: MIRRORD_REMOTE_ENV_FETCHED=true),
 * asks the intproxy for the target's variables and sets them; then removes every `unset` name,
 * compared case-insensitively. Runs single-threaded in the constructor, so it may allocate.
 */
void remote_env_apply(const layer_config *config);

#endif
