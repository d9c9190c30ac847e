/*
 * fs_integrity PATH SEED COUNT: applies COUNT pseudo-random writes, seeks, truncates and reads (seeded,
 * so the same sequence can run locally and remotely) to PATH, then prints a checksum of every byte it
 * read and the final offset. files.test.ts compares the resulting file and output across both runs.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_SPAN 70000

static uint64_t fnv(uint64_t hash, const unsigned char *data, size_t len) {
  for (size_t i = 0; i < len; i++) hash = (hash ^ data[i]) * 1099511628211ULL;
  return hash;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: fs_integrity PATH SEED COUNT\n");
    return 2;
  }
  unsigned seed = (unsigned)atoi(argv[2]);
  int count = atoi(argv[3]);
  int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    perror("open");
    return 1;
  }
  static unsigned char buf[MAX_SPAN], back[MAX_SPAN];
  uint64_t read_hash = 14695981039346656037ULL;
  for (int i = 0; i < count; i++) {
    size_t len = (size_t)(rand_r(&seed) % MAX_SPAN) + 1;
    off_t offset = rand_r(&seed) % 300000;
    for (size_t j = 0; j < len; j++) buf[j] = (unsigned char)rand_r(&seed);
    ssize_t rc = 0;
    switch (rand_r(&seed) % 8) {
      case 0: rc = pwrite(fd, buf, len, offset); break;
      case 1: rc = write(fd, buf, len); break;
      case 2: rc = lseek(fd, offset, SEEK_SET); break;
      case 3: rc = lseek(fd, (off_t)(len % 1000), SEEK_END); break;
      case 4: rc = ftruncate(fd, offset); break;
      case 5: {
        struct iovec iov[2] = {{buf, len / 2}, {buf + len / 2, len - len / 2}};
        rc = writev(fd, iov, 2);
        break;
      }
      case 6:
        rc = pread(fd, back, len, offset);
        if (rc > 0) read_hash = fnv(read_hash, back, (size_t)rc);
        break;
      default:
        rc = read(fd, back, len);
        if (rc > 0) read_hash = fnv(read_hash, back, (size_t)rc);
        break;
    }
    if (rc < 0) {
      perror("operation");
      return 1;
    }
  }
  printf("reads=%016llx offset=%lld\n", (unsigned long long)read_hash, (long long)lseek(fd, 0, SEEK_CUR));
  return close(fd) == 0 ? 0 : 1;
}
