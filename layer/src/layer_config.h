/* The part of the resolved configuration the layer needs, handed over by `mirrord exec`. */
#ifndef MIRRORD_LAYER_CONFIG_H
#define MIRRORD_LAYER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol/mp_protocol.h"

/* Decoded once in the constructor; the views point into a buffer kept for the life of the process. */
typedef mp_msg_layer_config layer_config;

/* Reads MIRRORD_LAYER_CONFIG (base64 of a LayerConfig frame); on failure says why in `problem`. */
bool layer_config_load(layer_config *out, char *problem, size_t problem_len);

#endif
