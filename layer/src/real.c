#include "real.h"

#include <dlfcn.h>

#include "real_fs.h"

struct real_functions real;

#define RESOLVE(name) real.name = (__typeof__(real.name))dlsym(RTLD_NEXT, #name)

static void real_net_resolve(void) {
  RESOLVE(gethostbyname_r);
  RESOLVE(getnameinfo);
  RESOLVE(connect);
  RESOLVE(sendto);
  RESOLVE(sendmsg);
  RESOLVE(recvfrom);
  RESOLVE(recvmsg);
  RESOLVE(getsockname);
  RESOLVE(getpeername);
}

void real_resolve(void) {
  real.gethostname = (int (*)(char *, size_t))dlsym(RTLD_NEXT, "gethostname");
  real.uname = (int (*)(struct utsname *))dlsym(RTLD_NEXT, "uname");
  real.getaddrinfo = (int (*)(const char *, const char *, const struct addrinfo *, struct addrinfo **))dlsym(
      RTLD_NEXT, "getaddrinfo");
  real.gethostbyname = (struct hostent * (*)(const char *)) dlsym(RTLD_NEXT, "gethostbyname");
  real_net_resolve();
  real_fs_resolve();
}
