/* Matching a (host, port) pair against address-filter entries the CLI parsed (layer.md §6c). */
#ifndef MIRRORD_LAYER_ADDRESS_FILTER_H
#define MIRRORD_LAYER_ADDRESS_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "protocol/mp_protocol.h"

/*
 * True when one entry matches: entries with port 0 or the query's port count; a name entry matches the
 * node by exact (case-insensitive) text, an ip entry when node is that address (`0.0.0.0`/`::` match any
 * IP), a subnet entry when node
 * is an address inside it, a port entry on the port alone.
 */
bool address_filter_matches(const mp_address_filter_entry *entries, uint32_t count, const char *node, uint16_t port);

/* The port an entry is limited to, 0 for any. */
uint16_t address_filter_entry_port(const mp_address_filter_entry *entry);

/* An ip, subnet or port entry against a destination IP (4 or 16 bytes; ports not checked). Name entries
 * never match here: their caller resolves the name. */
bool address_filter_entry_matches_ip(const mp_address_filter_entry *entry, const uint8_t *ip, int ip_len);

#endif
