/* What every part of the layer may ask about the process it lives in. */
#ifndef MIRRORD_LAYER_H
#define MIRRORD_LAYER_H

#include <stdbool.h>

#include "protocol/mp_protocol.h"

#define LAYER_EXPORT __attribute__((visibility("default")))

/* The configuration of an active layer, NULL when mirrord is off for this process. */
const mp_msg_layer_config *layer_active_config(void);

/* `feature.hostname`: gethostname/uname report the target's name. */
bool layer_feature_hostname(void);

#endif
