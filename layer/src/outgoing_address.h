/* Socket addresses between the program's `struct sockaddr` and the protocol's `mp_socket_address`. */
#ifndef MIRRORD_LAYER_OUTGOING_ADDRESS_H
#define MIRRORD_LAYER_OUTGOING_ADDRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "protocol/mp_protocol.h"

/* `sa` as a protocol address; unix paths/names are views into `sa` (trailing NULs trimmed), so `out`
 * lives as long as `sa`. False for families other than AF_INET, AF_INET6 and AF_UNIX, or a short len. */
bool outgoing_address_from_sockaddr(const struct sockaddr *sa, socklen_t len, mp_socket_address *out);

/* `address` as a sockaddr for a socket of `domain`: an IPv4 address on an AF_INET6 socket becomes
 * IPv4-mapped. Returns the length written, 0 when the address cannot be expressed for that domain. */
socklen_t outgoing_address_to_sockaddr(const mp_socket_address *address, int domain, struct sockaddr_storage *out);

/* The destination IP of an IP sockaddr, IPv4-mapped IPv6 unmapped: writes 4 or 16 bytes and the port.
 * Returns the IP length, 0 for non-IP addresses. */
int outgoing_address_ip(const struct sockaddr *sa, socklen_t len, uint8_t ip[16], uint16_t *port);

/* Copies at most `*len` bytes of `from` into `to` and sets `*len` to the full length, as
 * getsockname/getpeername/recvfrom do. */
void outgoing_address_copy_out(const struct sockaddr_storage *from, socklen_t from_len, struct sockaddr *to,
                               socklen_t *len);

#endif
