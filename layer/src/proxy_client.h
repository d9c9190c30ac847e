/*
 * The layer's connection to the internal proxy: one per process, opened by the constructor, reopened
 * lazily in a forked child (a new session). Requests are synchronous and serialised; no allocation
 * from the C heap on the request path (buffers are mmap'd), so a hook may run it from any thread.
 */
#ifndef MIRRORD_LAYER_PROXY_CLIENT_H
#define MIRRORD_LAYER_PROXY_CLIENT_H

#include <stdbool.h>
#include <sys/socket.h>

#include "protocol/mp_protocol.h"

/* Called with the reply while the connection is held; views into the reply are valid only inside. */
typedef int (*proxy_reply_fn)(const mp_message *reply, void *ctx);

/* Connects and handshakes. Returns 0, or a negative errno (and the connection stays unusable). */
int proxy_open(const struct sockaddr_storage *addr, const char *client_name);

/*
 * Sends `request` (its request_id is assigned here) and waits for the reply with the same id.
 * Returns on_reply's result, -errno from an ErrorReply, or a negative errno when the intproxy is
 * gone (-ENOTCONN) or spoke nonsense (-EPROTO).
 */
int proxy_call(mp_message *request, proxy_reply_fn on_reply, void *ctx);

/* Like proxy_call, but an ErrorReply is handed to on_reply too (for callers that read its kind/errno). */
int proxy_call_raw(mp_message *request, proxy_reply_fn on_reply, void *ctx);

/* True once the connection was lost or closed by the intproxy; remote operations then fail. */
bool proxy_is_lost(void);

#endif
