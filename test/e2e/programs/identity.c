/* Prints what a program sees of its identity: gethostname, uname's nodename and named env vars. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(int argc, char **argv) {
  char host[256];
  struct utsname uts;
  if (gethostname(host, sizeof(host)) != 0) {
    perror("gethostname");
    return 3;
  }
  if (uname(&uts) != 0) {
    perror("uname");
    return 3;
  }
  printf("hostname=%s\nnodename=%s\n", host, uts.nodename);
  for (int i = 1; i < argc; i++) {
    const char *value = getenv(argv[i]);
    printf("%s=%s\n", argv[i], value ? value : "<unset>");
  }
  return 0;
}
