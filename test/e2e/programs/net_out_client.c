/*
 * A plain C client for the outgoing tests: connects the way real programs do and prints what it saw.
 *
 *   net_out_client tcp|tcp-nonblocking HOST PORT MESSAGE  connect, send, half-close, read to EOF
 *   net_out_client udp-connect|udp-sendto|udp-sendmsg HOST PORT MESSAGE  one datagram and its answer
 *   net_out_client unix PATH MESSAGE
 *
 * HOST is an IPv4/IPv6 literal or a name (getaddrinfo). Prints `reply=…`, `peer=…`, `local=…` lines;
 * exits 1 with `error=<step>:<strerror>` on failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(const char *step) {
  printf("error=%s:%s\n", step, strerror(errno));
  return 1;
}

static void print_address(const char *label, const struct sockaddr *sa) {
  char text[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, text, sizeof(text));
    port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, text, sizeof(text));
    port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
  }
  printf("%s=%s:%d\n", label, text, port);
}

static void print_names(int fd) {
  struct sockaddr_storage addr;
  socklen_t len = sizeof(addr);
  if (getpeername(fd, (struct sockaddr *)&addr, &len) == 0) print_address("peer", (struct sockaddr *)&addr);
  len = sizeof(addr);
  if (getsockname(fd, (struct sockaddr *)&addr, &len) == 0) print_address("local", (struct sockaddr *)&addr);
}

static int resolve(const char *host, const char *port, int socktype, struct sockaddr_storage *out, socklen_t *len) {
  struct addrinfo hints = {.ai_socktype = socktype}, *list;
  int rc = getaddrinfo(host, port, &hints, &list);
  if (rc != 0) {
    printf("error=resolve:%s\n", gai_strerror(rc));
    return -1;
  }
  memcpy(out, list->ai_addr, list->ai_addrlen);
  *len = list->ai_addrlen;
  freeaddrinfo(list);
  return 0;
}

static int read_to_end(int fd) {
  char buf[65536];
  size_t total = 0;
  printf("reply=");
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("read");
    if (n == 0) break;
    fwrite(buf, 1, (size_t)n, stdout);
    total += (size_t)n;
  }
  printf("\n");
  return 0;
}

static int stream(int fd, const struct sockaddr *addr, socklen_t len, const char *message, int nonblocking) {
  if (nonblocking) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  int rc = connect(fd, addr, len);
  if (rc != 0 && !(nonblocking && errno == EINPROGRESS)) return fail("connect");
  if (nonblocking) {
    printf("connect=%s\n", rc == 0 ? "immediate" : "in-progress");
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    if (poll(&pfd, 1, 20000) != 1) return fail("poll");
    int error = 0;
    socklen_t error_len = sizeof(error);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_len);
    if (error) {
      errno = error;
      return fail("so_error");
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  }
  print_names(fd);
  if (write(fd, message, strlen(message)) != (ssize_t)strlen(message)) return fail("write");
  shutdown(fd, SHUT_WR);
  return read_to_end(fd);
}

static int datagram(int fd, const char *mode, const struct sockaddr *addr, socklen_t len, const char *message) {
  struct timeval timeout = {.tv_sec = 10};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  char buf[65536];
  struct sockaddr_storage from;
  socklen_t from_len = sizeof(from);
  ssize_t n;
  if (strcmp(mode, "udp-connect") == 0) {
    if (connect(fd, addr, len) != 0) return fail("connect");
    print_names(fd);
    if (send(fd, message, strlen(message), 0) < 0) return fail("send");
    n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &from_len);
  } else if (strcmp(mode, "udp-sendto") == 0) {
    if (sendto(fd, message, strlen(message), 0, addr, len) < 0) return fail("sendto");
    n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &from_len);
  } else {
    struct iovec out = {.iov_base = (void *)message, .iov_len = strlen(message)};
    struct sockaddr_storage dest;
    memcpy(&dest, addr, len);
    struct msghdr msg = {.msg_name = &dest, .msg_namelen = len, .msg_iov = &out, .msg_iovlen = 1};
    if (sendmsg(fd, &msg, 0) < 0) return fail("sendmsg");
    if (memcmp(&dest, addr, len) != 0) printf("error=sendmsg changed the caller's msg_name\n");
    struct iovec in = {.iov_base = buf, .iov_len = sizeof(buf)};
    struct msghdr reply = {.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &in, .msg_iovlen = 1};
    n = recvmsg(fd, &reply, 0);
  }
  if (n < 0) return fail("receive");
  printf("reply=%.*s\n", (int)n, buf);
  print_address("from", (struct sockaddr *)&from);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc < 4) {
    fprintf(stderr, "usage: see the comment at the top of net_out_client.c\n");
    return 2;
  }
  const char *mode = argv[1];
  if (strcmp(mode, "unix") == 0) {
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    snprintf(un.sun_path, sizeof(un.sun_path), "%s", argv[2]);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    return stream(fd, (struct sockaddr *)&un, sizeof(un), argv[3], 0);
  }
  if (argc < 5) return 2;
  int udp = strncmp(mode, "udp", 3) == 0;
  struct sockaddr_storage addr;
  socklen_t len;
  if (resolve(argv[2], argv[3], udp ? SOCK_DGRAM : SOCK_STREAM, &addr, &len) != 0) return 1;
  int fd = socket(addr.ss_family, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
  if (fd < 0) return fail("socket");
  if (udp) return datagram(fd, mode, (struct sockaddr *)&addr, len, argv[4]);
  return stream(fd, (struct sockaddr *)&addr, len, argv[4], strcmp(mode, "tcp-nonblocking") == 0);
}
