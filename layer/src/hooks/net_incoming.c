/* bind / listen / accept / accept4 (Linux only): ports mirrored or stolen from the target (layer.md §4). */
#include <sys/socket.h>

#include "../guard.h"
#include "../incoming.h"
#include "../layer.h"

LAYER_EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len) {
  if (!guard_enter()) return incoming_real.bind(fd, addr, len);
  int result;
  bool handled = incoming_bind(fd, addr, len, &result);
  guard_leave();
  return handled ? result : incoming_real.bind(fd, addr, len);
}

LAYER_EXPORT int listen(int fd, int backlog) {
  if (!guard_enter()) return incoming_real.listen(fd, backlog);
  int result;
  bool handled = incoming_listen(fd, backlog, &result);
  guard_leave();
  return handled ? result : incoming_real.listen(fd, backlog);
}

LAYER_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len) {
  int accepted = incoming_real.accept(fd, addr, len);
  if (accepted >= 0) incoming_accepted(fd, accepted, addr, len);
  return accepted;
}

#ifdef __linux__
LAYER_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
  int accepted = incoming_real.accept4(fd, addr, len, flags);
  if (accepted >= 0) incoming_accepted(fd, accepted, addr, len);
  return accepted;
}
#endif
