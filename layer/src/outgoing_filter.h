/* Which outgoing destinations go through the agent (`feature.network.outgoing`, layer.md §5a–5b). */
#ifndef MIRRORD_LAYER_OUTGOING_FILTER_H
#define MIRRORD_LAYER_OUTGOING_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "protocol/mp_protocol.h"

enum outgoing_decision {
  OUTGOING_LOCAL,  /* connect as the program asked */
  OUTGOING_REMOTE, /* connect from the pod */
  OUTGOING_FAILED, /* a name in the filter could not be resolved: the connect fails (errno set) */
};

/* An IP destination (4 or 16 bytes, IPv4-mapped already unmapped) for `transport` (TCP or UDP). Name
 * entries are resolved on every call: through the agent for a remote list when remote DNS is on,
 * locally otherwise. */
enum outgoing_decision outgoing_filter_ip(const mp_msg_layer_config *config, uint8_t transport, const uint8_t *ip,
                                          int ip_len, uint16_t port);

/* A unix socket path or abstract name: remote when it matches one of `unix_streams` (case-sensitive). */
bool outgoing_filter_unix(const mp_msg_layer_config *config, const uint8_t *name, uint32_t len);

#endif
