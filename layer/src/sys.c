#include "sys.h"

#include <errno.h>
#include <string.h>

void sys_say(const char *text) {
  size_t len = strlen(text);
  int saved_errno = errno;
  while (len > 0) {
    ssize_t n = sys_write(STDERR_FILENO, text, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text += n;
    len -= (size_t)n;
  }
  errno = saved_errno;
}
