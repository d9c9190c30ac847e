/*
 * UDP destinations of the program's sockets that go through the agent: for each (fd, remote address)
 * the loopback intercept the datagrams are really sent to. sendto/sendmsg look the intercept up;
 * recvfrom/recvmsg map an intercept source back to the remote address the program expects.
 *
 * Fixed capacity, no heap, lock-free readers (per-slot sequence counters, as in socket_table.h);
 * entries of a closed fd are dropped through fd_events.
 */
#ifndef MIRRORD_LAYER_OUTGOING_UDP_H
#define MIRRORD_LAYER_OUTGOING_UDP_H

#include <stdbool.h>
#include <sys/socket.h>

/* Remembers that datagrams from `fd` to `remote` go to `intercept`. False when the table is full. */
bool outgoing_udp_add(int fd, const struct sockaddr_storage *remote, socklen_t remote_len,
                      const struct sockaddr_storage *intercept, socklen_t intercept_len);

/* The intercept for `fd` → `remote`; false when that destination is not routed. */
bool outgoing_udp_intercept(int fd, const struct sockaddr *remote, socklen_t remote_len, struct sockaddr_storage *out,
                            socklen_t *out_len);

/* The remote address behind an intercept `source` of `fd`; false when `source` is no intercept of it. */
bool outgoing_udp_remote(int fd, const struct sockaddr *source, socklen_t source_len, struct sockaddr_storage *out,
                         socklen_t *out_len);

#endif
