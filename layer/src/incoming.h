/*
 * Incoming traffic (mirror/steal) in the layer (layer.md §4): which binds take part, the local port a
 * program really listens on, the intproxy subscription of a listening socket, and the original peer
 * of each accepted connection. The hooks in hooks/net_incoming.c are thin calls into here.
 *
 * State lives in socket_table (names the program sees) plus a fixed table of listener slots holding a
 * reference count per subscribed listening socket, so the subscription ends when its last dup closes.
 * No heap allocation; the intproxy is only called outside signal context (guarded).
 */
#ifndef MIRRORD_LAYER_INCOMING_H
#define MIRRORD_LAYER_INCOMING_H

#include <stdbool.h>
#include <sys/socket.h>

/* bind(): returns true and sets *result when the layer handled the call (the program's socket is then
 * bound to its real local address and remembered); false = pass it to libc untouched. */
/* The libc functions behind the hooks, resolved at load time. */
struct incoming_real {
  int (*bind)(int, const struct sockaddr *, socklen_t);
  int (*listen)(int, int);
  int (*accept)(int, struct sockaddr *, socklen_t *);
  int (*accept4)(int, struct sockaddr *, socklen_t *, int);
};
extern struct incoming_real incoming_real;

bool incoming_bind(int fd, const struct sockaddr *addr, socklen_t len, int *result);

/* listen(): the real listen, then the subscription of a remembered socket's port. */
bool incoming_listen(int fd, int backlog, int *result);

/* After a successful real accept/accept4 of `listener` into `fd`: records the original peer and
 * rewrites the caller's address with it when the connection came from the intproxy. */
void incoming_accepted(int listener, int fd, struct sockaddr *addr, socklen_t *len);

#endif
