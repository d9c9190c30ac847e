/* Resolves each argument with getaddrinfo (IPv4, stream) and gethostbyname; prints what it got. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    struct addrinfo hints, *result = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_CANONNAME;
    int rc = getaddrinfo(argv[i], "5432", &hints, &result);
    if (rc != 0) {
      printf("%s=error:%s\n", argv[i], gai_strerror(rc));
      continue;
    }
    char text[INET_ADDRSTRLEN];
    struct sockaddr_in *in = (struct sockaddr_in *)result->ai_addr;
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    printf("%s=%s:%d canon=%s\n", argv[i], text, ntohs(in->sin_port), result->ai_canonname ? result->ai_canonname : "");
    freeaddrinfo(result);
    struct hostent *host = gethostbyname(argv[i]);
    if (host && host->h_addr_list[0]) {
      inet_ntop(AF_INET, host->h_addr_list[0], text, sizeof(text));
      printf("%s.hostent=%s\n", argv[i], text);
    }
  }
  return 0;
}
