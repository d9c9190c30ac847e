/* The one place the layer looks up the real libc functions it interposes. */
#ifndef MIRRORD_LAYER_REAL_H
#define MIRRORD_LAYER_REAL_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/utsname.h>

struct addrinfo;
struct hostent;

struct real_functions {
  int (*gethostname)(char *name, size_t len);
  int (*uname)(struct utsname *buf);
  int (*getaddrinfo)(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res);
  struct hostent *(*gethostbyname)(const char *name);
  int (*gethostbyname_r)(const char *name, struct hostent *ret, char *buf, size_t buflen, struct hostent **result,
                         int *h_errnop);
  int (*getnameinfo)(const struct sockaddr *addr, socklen_t addrlen, char *host, socklen_t hostlen, char *serv,
                     socklen_t servlen, int flags);
  int (*connect)(int fd, const struct sockaddr *addr, socklen_t len);
  ssize_t (*sendto)(int fd, const void *buf, size_t len, int flags, const struct sockaddr *dest, socklen_t dest_len);
  ssize_t (*sendmsg)(int fd, const struct msghdr *msg, int flags);
  ssize_t (*recvfrom)(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *from_len);
  ssize_t (*recvmsg)(int fd, struct msghdr *msg, int flags);
  int (*getsockname)(int fd, struct sockaddr *addr, socklen_t *len);
  int (*getpeername)(int fd, struct sockaddr *addr, socklen_t *len);
};

/* Filled once by the constructor (dlsym is not async-signal-safe, so never from a hook). */
extern struct real_functions real;

void real_resolve(void);

/* The real function, resolving it on the spot if a hook runs before the constructor did. */
#define REAL(name) (real.name ? real.name : (real_resolve(), real.name))

#endif
