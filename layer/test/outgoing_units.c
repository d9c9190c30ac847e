/*
 * Unit checks of the layer's socket bookkeeping (socket_table, outgoing_udp, outgoing_address,
 * address_filter), linked with those sources only. Prints one line per failed check and
 * `checks=<n> failed=<m>`; exits 1 when any failed. Run by test/e2e/outgoing-units.test.ts.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "address_filter.h"
#include "fd_events.h"
#include "outgoing_address.h"
#include "outgoing_udp.h"
#include "socket_table.h"
#include "unit_check.h"


static struct sockaddr_storage v4(const char *ip, int port, socklen_t *len) {
  struct sockaddr_storage ss = {0};
  struct sockaddr_in *in = (struct sockaddr_in *)&ss;
  in->sin_family = AF_INET;
  in->sin_port = htons((uint16_t)port);
  inet_pton(AF_INET, ip, &in->sin_addr);
  *len = sizeof(*in);
  return ss;
}

static bool is_incoming(int fd, const struct socket_info *info, void *ctx) {
  (void)fd;
  (void)ctx;
  return info->owner == SOCKET_OWNER_INCOMING;
}

static void socket_table_checks(void) {
  struct socket_info info = {.owner = SOCKET_OWNER_OUTGOING, .domain = AF_INET, .type = 1, .owner_id = 7};
  struct sockaddr_storage remote = v4("10.0.0.5", 80, &info.remote_len);
  info.remote = remote;
  struct socket_info got;
  CHECK("an unknown fd is not tracked", !socket_table_get(40, &got));
  CHECK("put then get", socket_table_put(40, &info) && socket_table_get(40, &got) && got.owner_id == 7 &&
                            memcmp(&got.remote, &remote, sizeof(remote)) == 0);
  fd_events_duplicated(40, 41);
  CHECK("dup copies the record", socket_table_get(41, &got) && got.owner_id == 7);
  fd_events_closed(40);
  CHECK("close forgets the fd", !socket_table_get(40, &got));
  CHECK("the duplicate survives the original's close", socket_table_get(41, &got));
  fd_events_duplicated(40, 41);
  CHECK("dup2 of an untracked fd over a tracked one forgets it", !socket_table_get(41, &got));
  CHECK("fds beyond the table are refused", !socket_table_put(SOCKET_TABLE_SIZE, &info) && !socket_table_get(-1, &got));
  CHECK("a high fd in a fresh chunk works", socket_table_put(65000, &info) && socket_table_get(65000, &got));
  struct socket_info listener = {.owner = SOCKET_OWNER_INCOMING, .type = 1, .owner_id = 99};
  socket_table_put(300, &listener);
  CHECK("find returns the first matching fd", socket_table_find(is_incoming, NULL) == 300);
  fd_events_closed(300);
  CHECK("find returns -1 when nothing matches", socket_table_find(is_incoming, NULL) == -1);
}

static void udp_route_checks(void) {
  socklen_t remote_len, intercept_len, other_len, out_len;
  struct sockaddr_storage remote = v4("10.244.1.9", 5353, &remote_len);
  struct sockaddr_storage intercept = v4("127.0.0.1", 40000, &intercept_len);
  struct sockaddr_storage other = v4("10.244.1.9", 5354, &other_len);
  struct sockaddr_storage out;
  CHECK("no route before one is added", !outgoing_udp_intercept(9, (struct sockaddr *)&remote, remote_len, &out, &out_len));
  CHECK("add", outgoing_udp_add(9, &remote, remote_len, &intercept, intercept_len));
  CHECK("the remote maps to its intercept",
        outgoing_udp_intercept(9, (struct sockaddr *)&remote, remote_len, &out, &out_len) &&
            memcmp(&out, &intercept, intercept_len) == 0);
  CHECK("another port of the same host is not routed",
        !outgoing_udp_intercept(9, (struct sockaddr *)&other, other_len, &out, &out_len));
  CHECK("another fd is not routed", !outgoing_udp_intercept(10, (struct sockaddr *)&remote, remote_len, &out, &out_len));
  CHECK("an intercept source maps back to the remote",
        outgoing_udp_remote(9, (struct sockaddr *)&intercept, intercept_len, &out, &out_len) && out_len == remote_len &&
            memcmp(&out, &remote, remote_len) == 0);
  fd_events_closed(9);
  CHECK("close drops the fd's routes", !outgoing_udp_remote(9, (struct sockaddr *)&intercept, intercept_len, &out, &out_len));
}

static void address_checks(void) {
  mp_socket_address address = {.kind = MP_SOCKET_ADDRESS_IPV4, .u.ipv4 = {{10, 0, 0, 1}, 443}};
  struct sockaddr_storage ss;
  socklen_t len = outgoing_address_to_sockaddr(&address, AF_INET6, &ss);
  char text[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, text, sizeof(text));
  CHECK("IPv4 on an AF_INET6 socket is IPv4-mapped", len == sizeof(struct sockaddr_in6) && strcmp(text, "::ffff:10.0.0.1") == 0);
  uint8_t ip[16];
  uint16_t port;
  CHECK("a mapped address unmaps for filtering", outgoing_address_ip((struct sockaddr *)&ss, len, ip, &port) == 4 &&
                                                     ip[0] == 10 && ip[3] == 1 && port == 443);
  CHECK("IPv6 cannot be shown on an AF_INET socket",
        outgoing_address_to_sockaddr(&(mp_socket_address){.kind = MP_SOCKET_ADDRESS_IPV6}, AF_INET, &ss) == 0);

  struct sockaddr_un un = {.sun_family = AF_UNIX};
  strcpy(un.sun_path, "/run/app.sock");
  mp_socket_address parsed;
  CHECK("a unix path with trailing NULs (full sizeof) is trimmed",
        outgoing_address_from_sockaddr((struct sockaddr *)&un, sizeof(un), &parsed) &&
            parsed.kind == MP_SOCKET_ADDRESS_UNIX_PATH && parsed.u.unix_path.path.len == strlen("/run/app.sock"));
  struct sockaddr_un abstract = {.sun_family = AF_UNIX, .sun_path = "\0name"};
  CHECK("an abstract name keeps its bytes after the NUL",
        outgoing_address_from_sockaddr((struct sockaddr *)&abstract, offsetof(struct sockaddr_un, sun_path) + 5, &parsed) &&
            parsed.kind == MP_SOCKET_ADDRESS_UNIX_ABSTRACT && parsed.u.unix_abstract.name.len == 4);
  CHECK("a truncated IPv4 sockaddr is refused",
        !outgoing_address_from_sockaddr((struct sockaddr *)&ss, 4, &parsed));
}

static void filter_checks(void) {
  uint8_t cluster[4] = {10, 244, 2, 2}, outside[4] = {192, 168, 0, 1};
  mp_address_filter_entry any_ip = {.kind = MP_ADDRESS_FILTER_ENTRY_IP, .u.ip = {.ip = {.kind = MP_IP_ADDRESS_V4}}};
  CHECK("0.0.0.0 matches any IPv4", address_filter_entry_matches_ip(&any_ip, outside, 4));
  mp_address_filter_entry subnet = {.kind = MP_ADDRESS_FILTER_ENTRY_SUBNET,
                                    .u.subnet = {.ip = {.kind = MP_IP_ADDRESS_V4, .u.v4 = {{10, 244, 0, 0}}}, .prefix = 16}};
  CHECK("a /16 contains its addresses", address_filter_entry_matches_ip(&subnet, cluster, 4));
  CHECK("a /16 excludes others", !address_filter_entry_matches_ip(&subnet, outside, 4));
  mp_address_filter_entry name = {.kind = MP_ADDRESS_FILTER_ENTRY_NAME};
  CHECK("name entries never match an IP by themselves", !address_filter_entry_matches_ip(&name, cluster, 4));
  mp_address_filter_entry port = {.kind = MP_ADDRESS_FILTER_ENTRY_PORT, .u.port = {5432}};
  CHECK("a port entry reports its port", address_filter_entry_port(&port) == 5432);
}

int main(void) {
  socket_table_checks();
  udp_route_checks();
  address_checks();
  filter_checks();
  return unit_check_report();
}
