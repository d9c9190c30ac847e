/* The one place the layer looks up the real libc functions it interposes. */
#ifndef MIRRORD_LAYER_REAL_H
#define MIRRORD_LAYER_REAL_H

#include <stddef.h>
#include <sys/utsname.h>

struct addrinfo;
struct hostent;

struct real_functions {
  int (*gethostname)(char *name, size_t len);
  int (*uname)(struct utsname *buf);
  int (*getaddrinfo)(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res);
  struct hostent *(*gethostbyname)(const char *name);
};

/* Filled once by the constructor (dlsym is not async-signal-safe, so never from a hook). */
extern struct real_functions real;

void real_resolve(void);

/* The real function, resolving it on the spot if a hook runs before the constructor did. */
#define REAL(name) (real.name ? real.name : (real_resolve(), real.name))

#endif
