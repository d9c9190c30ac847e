/*
 * The file benchmarks of scripts/bench.ts, timed inside the program so process start-up is left out.
 * Each prints `ns=<elapsed nanoseconds> cpu_ns=<this process's CPU time> ops=<operations> bytes=<bytes moved>`
 * (CPU time stays comparable on a machine busy with other work; elapsed time counts waiting on the pod).
 *   fs_bench openstat PATH COUNT      COUNT × open + fstat + close
 *   fs_bench read PATH CHUNK          the whole file in CHUNK-byte reads
 *   fs_bench tcpread HOST PORT CHUNK  everything a TCP server sends, in CHUNK-byte reads
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Reads fd to its end in `chunk`-byte reads; returns the byte count (or -1), counting reads in *ops. */
static long long drain(int fd, size_t chunk, long long *ops) {
  char *buf = malloc(chunk);
  long long total = 0;
  ssize_t got;
  while (buf && (got = read(fd, buf, chunk)) > 0) {
    total += got;
    (*ops)++;
  }
  free(buf);
  return buf && got == 0 ? total : -1;
}

static int connect_to(const char *host, int port) {
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || inet_pton(AF_INET, host, &addr.sin_addr) != 1) return -1;
  return connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 ? fd : -1;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: fs_bench openstat PATH COUNT | read PATH CHUNK | tcpread HOST PORT CHUNK\n");
    return 2;
  }
  long long ops = 0, bytes = 0, start = now_ns(CLOCK_MONOTONIC), cpu_start = now_ns(CLOCK_PROCESS_CPUTIME_ID);
  if (!strcmp(argv[1], "openstat")) {
    long count = atol(argv[3]);
    struct stat st;
    for (long i = 0; i < count; i++) {
      int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
      if (fd < 0 || fstat(fd, &st) != 0 || close(fd) != 0) {
        perror(argv[2]);
        return 1;
      }
      ops++;
    }
  } else if (!strcmp(argv[1], "read")) {
    int fd = open(argv[2], O_RDONLY);
    start = now_ns(CLOCK_MONOTONIC);
    cpu_start = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    bytes = fd < 0 ? -1 : drain(fd, (size_t)atol(argv[3]), &ops);
    if (bytes < 0) {
      perror(argv[2]);
      return 1;
    }
    close(fd);
  } else if (!strcmp(argv[1], "tcpread") && argc == 5) {
    int fd = connect_to(argv[2], atoi(argv[3]));
    start = now_ns(CLOCK_MONOTONIC);
    cpu_start = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    bytes = fd < 0 ? -1 : drain(fd, (size_t)atol(argv[4]), &ops);
    if (bytes < 0) {
      perror("tcpread");
      return 1;
    }
    close(fd);
  } else {
    fprintf(stderr, "fs_bench: unknown mode '%s'\n", argv[1]);
    return 2;
  }
  printf("ns=%lld cpu_ns=%lld ops=%lld bytes=%lld\n", now_ns(CLOCK_MONOTONIC) - start,
         now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu_start, ops, bytes);
  return 0;
}
