/* What every part of the layer may ask about the process it lives in. */
#ifndef MIRRORD_LAYER_H
#define MIRRORD_LAYER_H

#include <stdbool.h>

#define LAYER_EXPORT __attribute__((visibility("default")))

/* True when this process runs under mirrord (not skipped, configuration usable). */
bool layer_is_active(void);

/* `feature.hostname`: gethostname/uname report the target's name. */
bool layer_feature_hostname(void);

#endif
