/*
 * The reentrant and reverse lookups a C program may use:
 *   net_out_dns byname_r NAME   gethostbyname_r with room to spare, then with a 16-byte buffer
 *   net_out_dns nameinfo IP     getnameinfo (host and service of IP:80), then with NI_NAMEREQD
 * Prints one `key=value` line per answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

static void by_name(const char *name) {
  struct hostent host, *result;
  char buf[2048];
  int h_error = 0;
  int rc = gethostbyname_r(name, &host, buf, sizeof(buf), &result, &h_error);
  if (rc != 0 || !result) {
    printf("byname_r=error:rc=%d,h_errno=%d\n", rc, h_error);
  } else {
    printf("byname_r=%s", result->h_name);
    for (char **p = result->h_addr_list; *p; p++) {
      char text[INET_ADDRSTRLEN];
      printf(" %s", inet_ntop(AF_INET, *p, text, sizeof(text)));
    }
    printf("\n");
  }
  char tiny[16];
  rc = gethostbyname_r(name, &host, tiny, sizeof(tiny), &result, &h_error);
  printf("byname_r_small=%s\n", rc == ERANGE ? "ERANGE" : "not ERANGE");
}

static void name_info(const char *ip) {
  struct sockaddr_storage storage = {0};
  socklen_t len;
  if (strchr(ip, ':')) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&storage;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(80);
    inet_pton(AF_INET6, ip, &in6->sin6_addr);
    len = sizeof(*in6);
  } else {
    struct sockaddr_in *in = (struct sockaddr_in *)&storage;
    in->sin_family = AF_INET;
    in->sin_port = htons(80);
    inet_pton(AF_INET, ip, &in->sin_addr);
    len = sizeof(*in);
  }
  char host[NI_MAXHOST], serv[NI_MAXSERV];
  int rc = getnameinfo((struct sockaddr *)&storage, len, host, sizeof(host), serv, sizeof(serv), 0);
  if (rc == 0)
    printf("nameinfo=%s %s\n", host, serv);
  else
    printf("nameinfo=error:%s\n", gai_strerror(rc));
  rc = getnameinfo((struct sockaddr *)&storage, len, host, sizeof(host), NULL, 0, NI_NAMEREQD);
  printf("nameinfo_required=%s\n", rc == 0 ? host : gai_strerror(rc));
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  if (strcmp(argv[1], "byname_r") == 0) by_name(argv[2]);
  else if (strcmp(argv[1], "nameinfo") == 0) name_info(argv[2]);
  else return 2;
  return 0;
}
