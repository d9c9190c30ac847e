/* Force-included (-include) into every layer source by macos.mk: the few Linux names the layer uses
 * that macOS spells differently or lacks. Keep this tiny; anything bigger belongs in the source. */
#ifndef MIRRORD_LAYER_MACOS_COMPAT_H
#define MIRRORD_LAYER_MACOS_COMPAT_H

/* macOS has no SOCK_CLOEXEC flag for socket(); the intproxy socket then is not close-on-exec
 * (proxy_client.c should set FD_CLOEXEC with fcntl on macOS — see layer/macos/README.md). */
#ifndef SOCK_CLOEXEC
#define SOCK_CLOEXEC 0
#endif

#endif
