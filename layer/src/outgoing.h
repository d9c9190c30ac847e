/*
 * Outgoing connections through the agent (layer.md §5): the decision, the `Connect` round trip, and
 * wiring the program's own socket to the intproxy's intercept so that all further I/O is native.
 * Each function returns false ("not ours") when the program's call should run untouched.
 */
#ifndef MIRRORD_LAYER_OUTGOING_H
#define MIRRORD_LAYER_OUTGOING_H

#include <stdbool.h>
#include <sys/socket.h>

/* connect(2). When handled, *result is what connect returns (errno set when it is -1): the real
 * connect of `fd` to the intercept, so a non-blocking socket still answers EINPROGRESS. A non-blocking
 * TCP socket does not wait for the agent's connect at all (it runs in the background, see outgoing.c). */
bool outgoing_connect(int fd, const struct sockaddr *addr, socklen_t len, int *result);

/* getsockname of a socket whose background connect (non-blocking TCP) did not know its pod-side local
 * address yet: asks the intproxy (which waits, bounded, for the agent) and remembers the answer. False =
 * not such a socket, or still unknown: the caller asks libc. */
bool outgoing_pod_name(int fd, struct sockaddr *addr, socklen_t *len);

/* sendto/sendmsg with a destination on a UDP socket: when `dest` goes remote, `*target` is the
 * intercept to send to instead. On failure returns true with *error set (the send fails with it). */
bool outgoing_datagram_target(int fd, const struct sockaddr *dest, socklen_t len, struct sockaddr_storage *target,
                              socklen_t *target_len, int *error);

/* recvfrom/recvmsg: replaces an intercept source address with the remote one the program talks to. */
void outgoing_datagram_source(int fd, struct sockaddr *from, socklen_t *len);

#endif
