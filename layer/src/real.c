#include "real.h"

#include <dlfcn.h>

#include "real_fs.h"

struct real_functions real;

void real_resolve(void) {
  real.gethostname = (int (*)(char *, size_t))dlsym(RTLD_NEXT, "gethostname");
  real.uname = (int (*)(struct utsname *))dlsym(RTLD_NEXT, "uname");
  real.getaddrinfo = (int (*)(const char *, const char *, const struct addrinfo *, struct addrinfo **))dlsym(
      RTLD_NEXT, "getaddrinfo");
  real.gethostbyname = (struct hostent * (*)(const char *)) dlsym(RTLD_NEXT, "gethostbyname");
  real_fs_resolve();
}
