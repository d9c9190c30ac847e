/*
 * What the program should see for each of its sockets that mirrord handles: the names a socket has
 * "in the pod" (getsockname/getpeername answer from here) and which part of the layer owns it.
 *
 * Shared by outgoing (connect/sendto) and incoming (bind/listen/accept). A socket not in the table is
 * the program's own business and every hook passes it to libc untouched. The table follows
 * close/dup through fd_events by itself (subscribed at load time).
 *
 * Concurrency: each fd's record has its own sequence counter. Readers never block (they copy the
 * record and retry a bounded number of times if a writer was busy), so socket_table_get is safe in
 * signal handlers; writers on the same fd are serialised by the counter. Records live in chunks
 * mmap'd on first use, never freed: no heap allocation anywhere.
 */
#ifndef MIRRORD_LAYER_SOCKET_TABLE_H
#define MIRRORD_LAYER_SOCKET_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Fds at or above this are never tracked (their hooks fall back to libc). */
#define SOCKET_TABLE_SIZE 65536

/* Which part of the layer manages the socket. */
enum socket_owner {
  SOCKET_OWNER_NONE = 0,
  SOCKET_OWNER_OUTGOING, /* connect/sendto routed through the agent */
  SOCKET_OWNER_INCOMING, /* bound/listening on a mirrored or stolen port, or accepted from one */
};

struct socket_info {
  enum socket_owner owner;
  int domain; /* AF_INET, AF_INET6, AF_UNIX */
  int type;   /* SOCK_STREAM, SOCK_DGRAM (without SOCK_NONBLOCK/SOCK_CLOEXEC) */
  /* The owner's handle for the connection or subscription (intproxy connection id, port…). */
  uint64_t owner_id;
  /* getsockname answer; local_len 0 = ask libc. */
  struct sockaddr_storage local;
  socklen_t local_len;
  /* getpeername answer; remote_len 0 = ask libc. */
  struct sockaddr_storage remote;
  socklen_t remote_len;
};

/* Records `info` for `fd`, replacing what was there. False when fd is out of range or memory ran out. */
bool socket_table_put(int fd, const struct socket_info *info);

/* Copies the record of `fd` into `out`; false when the fd is not tracked. */
bool socket_table_get(int fd, struct socket_info *out);

/* The lowest tracked fd whose record `match` accepts, or -1. Visits only fds the table holds. */
int socket_table_find(bool (*match)(int fd, const struct socket_info *info, void *ctx), void *ctx);

/* Forgets `fd` (also done automatically when the program closes it). */
void socket_table_forget(int fd);

#endif
