#include "address_filter.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

/* node as raw address bytes (4 or 16); 0 when it is not an IP literal. */
static int parse_ip(const char *node, uint8_t out[16]) {
  if (inet_pton(AF_INET, node, out) == 1) return 4;
  if (inet_pton(AF_INET6, node, out) == 1) return 16;
  return 0;
}

static int ip_length(const mp_ip_address *ip) { return ip->kind == MP_IP_ADDRESS_V4 ? 4 : 16; }

static const uint8_t *ip_bytes(const mp_ip_address *ip) {
  return ip->kind == MP_IP_ADDRESS_V4 ? ip->u.v4.octets : ip->u.v6.octets;
}

/* `0.0.0.0` and `::` in a filter stand for any IP. */
static bool is_unspecified(const mp_ip_address *ip) {
  const uint8_t *bytes = ip_bytes(ip);
  for (int i = 0; i < ip_length(ip); i++)
    if (bytes[i]) return false;
  return true;
}

static bool in_subnet(const uint8_t *address, const uint8_t *network, int prefix) {
  int whole = prefix / 8, rest = prefix % 8;
  if (memcmp(address, network, (size_t)whole) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = (uint8_t)(0xff << (8 - rest));
  return (address[whole] & mask) == (network[whole] & mask);
}

static bool entry_matches(const mp_address_filter_entry *entry, const char *node, const uint8_t *address,
                          int address_len) {
  switch (entry->kind) {
  case MP_ADDRESS_FILTER_ENTRY_PORT:
    return true;
  case MP_ADDRESS_FILTER_ENTRY_NAME:
    return strlen(node) == entry->u.name.name.len &&
           strncasecmp(node, (const char *)entry->u.name.name.ptr, entry->u.name.name.len) == 0;
  case MP_ADDRESS_FILTER_ENTRY_IP:
    if (is_unspecified(&entry->u.ip.ip)) return address_len > 0;
    return address_len == ip_length(&entry->u.ip.ip) &&
           memcmp(address, ip_bytes(&entry->u.ip.ip), (size_t)address_len) == 0;
  case MP_ADDRESS_FILTER_ENTRY_SUBNET:
    return address_len == ip_length(&entry->u.subnet.ip) && entry->u.subnet.prefix <= address_len * 8 &&
           in_subnet(address, ip_bytes(&entry->u.subnet.ip), entry->u.subnet.prefix);
  default:
    return false;
  }
}

uint16_t address_filter_entry_port(const mp_address_filter_entry *entry) {
  switch (entry->kind) {
  case MP_ADDRESS_FILTER_ENTRY_NAME: return entry->u.name.port;
  case MP_ADDRESS_FILTER_ENTRY_IP: return entry->u.ip.port;
  case MP_ADDRESS_FILTER_ENTRY_SUBNET: return entry->u.subnet.port;
  case MP_ADDRESS_FILTER_ENTRY_PORT: return entry->u.port.port;
  default: return 0;
  }
}

bool address_filter_matches(const mp_address_filter_entry *entries, uint32_t count, const char *node, uint16_t port) {
  uint8_t address[16];
  int address_len = parse_ip(node, address);
  for (uint32_t i = 0; i < count; i++) {
    uint16_t wanted = address_filter_entry_port(&entries[i]);
    if (wanted != 0 && wanted != port) continue;
    if (entry_matches(&entries[i], node, address, address_len)) return true;
  }
  return false;
}

bool address_filter_entry_matches_ip(const mp_address_filter_entry *entry, const uint8_t *ip, int ip_len) {
  return entry->kind != MP_ADDRESS_FILTER_ENTRY_NAME && entry_matches(entry, "", ip, ip_len);
}
