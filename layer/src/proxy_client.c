#include "proxy_client.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "sys.h"

#define INITIAL_BUFFER (64u * 1024u)

struct buffer {
  uint8_t *data;
  size_t cap;
};

static pthread_mutex_t conn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static struct {
  int fd;
  pid_t owner; /* the process that opened fd; a forked child must open its own session */
  bool lost;
  uint64_t next_id;
  struct sockaddr_storage addr;
  char name[128];
  struct buffer rx, arena, tx;
  size_t rx_len;
} conn = {.fd = -1};

/* Grows a buffer with mmap (not malloc: this may run inside any hook), keeping `keep` bytes. */
static int reserve(struct buffer *buf, size_t need, size_t keep) {
  if (buf->cap >= need) return 0;
  size_t cap = buf->cap ? buf->cap : INITIAL_BUFFER;
  while (cap < need) cap *= 2;
  void *data = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (data == MAP_FAILED) return -ENOMEM;
  if (buf->data) {
    if (keep) memcpy(data, buf->data, keep);
    munmap(buf->data, buf->cap);
  }
  buf->data = data;
  buf->cap = cap;
  return 0;
}

static void mark_lost(const char *why) {
  if (!conn.lost) {
    char line[256];
    snprintf(line, sizeof(line),
             "mirrord-layer: lost the internal proxy connection in pid %d (%s); remote operations now fail\n",
             (int)sys_getpid(), why);
    sys_say(line);
  }
  conn.lost = true;
  if (conn.fd >= 0) sys_close(conn.fd);
  conn.fd = -1;
}

static int write_all(const uint8_t *data, size_t len) {
  while (len > 0) {
    ssize_t n = sys_write(conn.fd, data, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n == 0 ? -EPIPE : -errno;
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Reads until one whole frame sits at the start of rx; stores its size. */
static int read_frame(size_t *frame_size) {
  int reserved = reserve(&conn.rx, INITIAL_BUFFER, conn.rx_len);
  if (reserved) return reserved;
  for (;;) {
    if (conn.rx_len >= MP_LENGTH_PREFIX_SIZE) {
      mp_status status = mp_frame_size(conn.rx.data, conn.rx_len, MP_MAX_FRAME_SIZE, frame_size);
      if (status != MP_OK) return -EPROTO;
      if (conn.rx_len >= *frame_size) return 0;
      int rc = reserve(&conn.rx, *frame_size, conn.rx_len);
      if (rc) return rc;
    }
    ssize_t n = sys_read(conn.fd, conn.rx.data + conn.rx_len, conn.rx.cap - conn.rx_len);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return -ECONNRESET;
    if (n < 0) return errno == EAGAIN ? -ETIMEDOUT : -errno;
    conn.rx_len += (size_t)n;
  }
}

static void consume_frame(size_t frame_size) {
  memmove(conn.rx.data, conn.rx.data + frame_size, conn.rx_len - frame_size);
  conn.rx_len -= frame_size;
}

static int decode_frame(size_t frame_size, mp_message *out) {
  int rc = reserve(&conn.arena, mp_arena_bound(frame_size), 0);
  if (rc) return rc;
  mp_arena arena = {conn.arena.data, conn.arena.cap, 0};
  size_t offset = 0;
  return mp_decode_frame(conn.rx.data, frame_size, MP_MAX_FRAME_SIZE, &arena, out, &offset) == MP_OK ? 0 : -EPROTO;
}

static int send_message(mp_message *msg) {
  size_t size = 0;
  if (mp_encode_frame(msg, NULL, 0, MP_MAX_FRAME_SIZE, &size) != MP_OK) return -EMSGSIZE;
  int rc = reserve(&conn.tx, size, 0);
  if (rc) return rc;
  if (mp_encode_frame(msg, conn.tx.data, conn.tx.cap, MP_MAX_FRAME_SIZE, &size) != MP_OK) return -EMSGSIZE;
  return write_all(conn.tx.data, size);
}

static mp_bytes text_view(const char *text) { return (mp_bytes){(const uint8_t *)text, (uint32_t)strlen(text)}; }

/* Connects and handshakes; called with the lock held (or single-threaded in the constructor). */
static int connect_locked(void) {
  socklen_t len = conn.addr.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  int fd = sys_stream_socket(conn.addr.ss_family);
  if (fd < 0) return -errno;
  int one = 1;
  sys_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  while (sys_connect(fd, (const struct sockaddr *)&conn.addr, len) < 0) {
    if (errno == EINTR) continue;
    int err = errno;
    sys_close(fd);
    return -err;
  }
  conn.fd = fd;
  conn.owner = sys_getpid();
  conn.rx_len = 0;
  conn.lost = false;

  mp_message hello = {.tag = MP_MSG_HELLO, .request_id = 0};
  hello.u.hello.protocol_version = text_view(MP_PROTOCOL_VERSION);
  hello.u.hello.role = MP_ROLE_LAYER;
  hello.u.hello.client_name = text_view(conn.name);
  int rc = send_message(&hello);
  size_t frame_size = 0;
  mp_message reply;
  if (!rc) rc = read_frame(&frame_size);
  if (!rc) rc = decode_frame(frame_size, &reply);
  if (rc) return rc;
  if (reply.tag == MP_MSG_HELLO_REJECTED) {
    char why[200];
    snprintf(why, sizeof(why), "handshake rejected: %.*s", (int)reply.u.hello_rejected.message.len,
             (const char *)reply.u.hello_rejected.message.ptr);
    consume_frame(frame_size);
    mark_lost(why);
    return -ECONNREFUSED;
  }
  consume_frame(frame_size);
  return reply.tag == MP_MSG_HELLO_OK ? 0 : -EPROTO;
}

static void before_fork(void) { pthread_mutex_lock(&conn_lock); }
static void after_fork_parent(void) { pthread_mutex_unlock(&conn_lock); }
static void after_fork_child(void) { pthread_mutex_unlock(&conn_lock); }
static void register_atfork(void) { pthread_atfork(before_fork, after_fork_parent, after_fork_child); }

int proxy_open(const struct sockaddr_storage *addr, const char *client_name) {
  pthread_once(&atfork_once, register_atfork);
  pthread_mutex_lock(&conn_lock);
  conn.addr = *addr;
  snprintf(conn.name, sizeof(conn.name), "%s", client_name);
  int rc = connect_locked();
  if (rc && !conn.lost) {
    char why[96];
    snprintf(why, sizeof(why), "cannot connect: %s", strerror(-rc));
    mark_lost(why);
  }
  pthread_mutex_unlock(&conn_lock);
  return rc;
}

bool proxy_is_lost(void) { return conn.lost; }

static int call(mp_message *request, proxy_reply_fn on_reply, void *ctx, bool raw_errors) {
  pthread_mutex_lock(&conn_lock);
  int rc = 0;
  if (conn.owner != sys_getpid() && !conn.lost) {
    /* A forked child: the inherited socket is the parent's session; open our own. */
    if (conn.fd >= 0) sys_close(conn.fd);
    conn.fd = -1;
    rc = connect_locked();
    if (rc && !conn.lost) mark_lost("cannot open a session for the forked child");
  }
  if (conn.lost || conn.fd < 0) {
    pthread_mutex_unlock(&conn_lock);
    return -ENOTCONN;
  }
  uint64_t id = ++conn.next_id;
  request->request_id = id;
  rc = send_message(request);
  while (!rc) {
    size_t frame_size = 0;
    mp_message reply;
    rc = read_frame(&frame_size);
    if (!rc) rc = decode_frame(frame_size, &reply);
    if (rc) break;
    if (reply.tag == MP_MSG_CLOSE) {
      char why[200];
      snprintf(why, sizeof(why), "closed by the internal proxy: %.*s", (int)reply.u.close.reason.len,
               (const char *)reply.u.close.reason.ptr);
      consume_frame(frame_size);
      mark_lost(why);
      rc = -ENOTCONN;
      break;
    }
    if (reply.request_id == id) {
      if (reply.tag == MP_MSG_ERROR_REPLY && !raw_errors) {
        rc = reply.u.error_reply.error.errno_ > 0 ? -reply.u.error_reply.error.errno_ : -EIO;
      } else {
        rc = on_reply(&reply, ctx);
      }
      consume_frame(frame_size);
      break;
    }
    consume_frame(frame_size); /* a Log or a stale reply: not ours */
  }
  if (rc == -ECONNRESET || rc == -EPIPE || rc == -EPROTO) {
    mark_lost(rc == -EPROTO ? "malformed frame from the internal proxy" : "the internal proxy went away");
    rc = rc == -EPROTO ? -EPROTO : -ENOTCONN;
  }
  pthread_mutex_unlock(&conn_lock);
  return rc;
}

int proxy_call(mp_message *request, proxy_reply_fn on_reply, void *ctx) {
  return call(request, on_reply, ctx, false);
}

int proxy_call_raw(mp_message *request, proxy_reply_fn on_reply, void *ctx) {
  return call(request, on_reply, ctx, true);
}
