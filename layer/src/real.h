/* The one place the layer looks up the real libc symbols it interposes. */
#ifndef MIRRORD_LAYER_REAL_H
#define MIRRORD_LAYER_REAL_H

#include <dlfcn.h>

/* Resolves the next definition of NAME after the layer, i.e. libc's. Hooks call this once and cache it. */
#define REAL_SYMBOL(name) dlsym(RTLD_NEXT, name)

#endif
