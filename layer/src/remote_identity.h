/* The target's hostname, asked for once per process and cached (also across fork). */
#ifndef MIRRORD_LAYER_REMOTE_IDENTITY_H
#define MIRRORD_LAYER_REMOTE_IDENTITY_H

/* The target's hostname, or NULL when it cannot be had (then hooks fall back to the local one). */
const char *remote_hostname(void);

#endif
