/*
 * scripts/verify-macos runs this under `mirrord exec` (targetless agent on the same Mac) to check the
 * layer's network hooks for real: argv[1] = a TCP echo server's port, argv[2] = a UDP echo server's
 * port, both on 127.0.0.1, argv[3] = a unix stream echo server's path (matched by the run's
 * outgoing.unix_streams pattern, so it goes through the agent too). Prints one "ok …" or "FAIL …" line per check; exit 1 when any failed.
 * The raw getpeername (syscall, past the interposed one) shows where the socket really is connected:
 * the intproxy's intercept, not the echo server, which is the proof the connection went through mirrord.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what) {
  printf("%s %s\n", ok ? "ok" : "FAIL", what);
  if (!ok) failures++;
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

static int port_of(const struct sockaddr_in *addr) { return ntohs(addr->sin_port); }

static int echoes(int fd, const char *text) {
  char reply[64] = {0};
  size_t len = strlen(text);
  if (send(fd, text, len, 0) != (ssize_t)len) return 0;
  size_t got = 0;
  while (got < len) {
    ssize_t n = recv(fd, reply + got, len - got, 0);
    if (n <= 0) return 0;
    got += (size_t)n;
  }
  return memcmp(reply, text, len) == 0;
}

static void tcp_checks(int port) {
  struct sockaddr_in server = loopback(port), peer, raw_peer;
  socklen_t len = sizeof(peer), raw_len = sizeof(raw_peer);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  check(fd >= 0 && connect(fd, (struct sockaddr *)&server, sizeof(server)) == 0, "tcp connect");
  check(echoes(fd, "hello through the pod"), "tcp echo");
  check(getpeername(fd, (struct sockaddr *)&peer, &len) == 0 && port_of(&peer) == port,
        "getpeername reports the echo server");
  check(syscall(SYS_getpeername, fd, &raw_peer, &raw_len) == 0 && port_of(&raw_peer) != port,
        "the socket is really connected elsewhere (the intproxy's intercept)");
  int copy = dup(fd);
  close(fd);
  len = sizeof(peer);
  check(copy >= 0 && getpeername(copy, (struct sockaddr *)&peer, &len) == 0 && port_of(&peer) == port,
        "a dup keeps the pod-side peer after the original is closed");
  check(echoes(copy, "again"), "tcp echo through the dup");
  int moved = fcntl(copy, F_DUPFD, 100);
  close(copy);
  len = sizeof(peer);
  check(moved >= 100 && getpeername(moved, (struct sockaddr *)&peer, &len) == 0 && port_of(&peer) == port,
        "fcntl(F_DUPFD) keeps the pod-side peer");
  close(moved);
  int fresh = socket(AF_INET, SOCK_STREAM, 0);
  len = sizeof(peer);
  check(fresh == fd && getpeername(fresh, (struct sockaddr *)&peer, &len) != 0 && errno == ENOTCONN,
        "a new socket on the closed socket's number has no peer");
  close(fresh);
}

static void udp_checks(int port) {
  struct sockaddr_in server = loopback(port), from;
  socklen_t from_len = sizeof(from);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  const char text[] = "datagram";
  char reply[32] = {0};
  check(fd >= 0 && sendto(fd, text, sizeof(text), 0, (struct sockaddr *)&server, sizeof(server)) == sizeof(text),
        "udp sendto");
  ssize_t got = recvfrom(fd, reply, sizeof(reply), 0, (struct sockaddr *)&from, &from_len);
  check(got == sizeof(text) && memcmp(reply, text, sizeof(text)) == 0, "udp echo");
  check(got > 0 && port_of(&from) == port, "recvfrom reports the echo server as the source");
  close(fd);
}

/* A unix stream routed by `unix_streams`: the program sees the pod's socket path, the kernel the intercept. */
static void unix_checks(const char *path) {
  struct sockaddr_un server = {.sun_family = AF_UNIX}, peer;
  struct sockaddr_storage raw_peer;
  socklen_t len = sizeof(peer), raw_len = sizeof(raw_peer);
  if (strlen(path) >= sizeof(server.sun_path)) {
    check(0, "the unix socket path fits in sun_path");
    return;
  }
  strcpy(server.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  check(fd >= 0 && connect(fd, (struct sockaddr *)&server, sizeof(server)) == 0, "unix stream connect");
  check(echoes(fd, "over a unix stream"), "unix stream echo");
  check(getpeername(fd, (struct sockaddr *)&peer, &len) == 0 && peer.sun_family == AF_UNIX &&
            strcmp(peer.sun_path, path) == 0,
        "getpeername reports the unix socket path");
  const struct sockaddr_un *raw_unix = (const struct sockaddr_un *)&raw_peer;
  check(syscall(SYS_getpeername, fd, &raw_peer, &raw_len) == 0 &&
            !(raw_peer.ss_family == AF_UNIX && strcmp(raw_unix->sun_path, path) == 0),
        "the unix stream is really connected elsewhere (unix_streams matched: the intproxy's intercept)");
  close(fd);
}

/* A program's own server: bind/listen/accept pass through the incoming hooks. A targetless agent has
 * no incoming traffic, so the layer reports the port as staying local and the server works as usual. */
static void server_checks(void) {
  struct sockaddr_in addr = loopback(0);
  socklen_t len = sizeof(addr);
  int probe = socket(AF_INET, SOCK_STREAM, 0);
  int found = probe >= 0 && bind(probe, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
              getsockname(probe, (struct sockaddr *)&addr, &len) == 0;
  close(probe);
  int port = port_of(&addr);
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  addr = loopback(port);
  check(found && bind(listener, (struct sockaddr *)&addr, sizeof(addr)) == 0 && listen(listener, 4) == 0,
        "a server binds and listens on its port");
  int client = socket(AF_INET, SOCK_STREAM, 0);
  check(connect(client, (struct sockaddr *)&addr, sizeof(addr)) == 0, "the program connects to its own server");
  int accepted = accept(listener, NULL, NULL);
  check(accepted >= 0 && send(client, "ping", 4, 0) == 4, "the server accepts");
  char got[4] = {0};
  check(recv(accepted, got, sizeof(got), MSG_WAITALL) == 4 && memcmp(got, "ping", 4) == 0,
        "the server reads what its client sent");
  close(accepted);
  close(client);
  close(listener);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s TCP_PORT UDP_PORT UNIX_PATH\n", argv[0]);
    return 2;
  }
  tcp_checks(atoi(argv[1]));
  udp_checks(atoi(argv[2]));
  unix_checks(argv[3]);
  server_checks();
  return failures ? 1 : 0;
}
