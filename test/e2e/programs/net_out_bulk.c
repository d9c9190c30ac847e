/*
 * Bulk receive for the outgoing throughput benchmark (scripts/bench.ts P4): connects to HOST:PORT,
 * reads until EOF, prints `bytes=<n> seconds=<s>` (time from connect to EOF).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) return 2;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
    perror("connect");
    return 1;
  }
  static char buf[1 << 18];
  unsigned long long total = 0;
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) total += (unsigned long long)n;
  clock_gettime(CLOCK_MONOTONIC, &end);
  printf("bytes=%llu seconds=%.6f\n", total, (double)(end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9);
  return 0;
}
