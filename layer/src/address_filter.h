/* Matching a (host, port) pair against address-filter entries the CLI parsed (layer.md §6c). */
#ifndef MIRRORD_LAYER_ADDRESS_FILTER_H
#define MIRRORD_LAYER_ADDRESS_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "protocol/mp_protocol.h"

/*
 * True when one entry matches: entries with port 0 or the query's port count; a name entry matches the
 * node by exact (case-insensitive) text, an ip entry when node is that address, a subnet entry when node
 * is an address inside it, a port entry on the port alone.
 */
bool address_filter_matches(const mp_address_filter_entry *entries, uint32_t count, const char *node, uint16_t port);

#endif
