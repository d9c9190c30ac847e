/*
 * The file checks scripts/verify-macos runs under `mirrord exec` in write mode, also run on Linux by
 * test/e2e/macos-fs-probe.test.ts: argv[1] = a directory in the pod's filesystem (the run's
 * fs.read_write pattern sends it there), argv[2] (optional) = what the pod's `argv[1]/seed.txt` holds.
 * The probe creates and reads its files there through the layer (open/write/fcntl, stat, readdir, stdio,
 * relative paths after chdir, rename, unlink, the pod's errno values) and leaves `argv[1]/kept.txt`
 * behind; the caller then checks the pod has it and the laptop does not, which is the proof the files
 * went through mirrord. Prints one "ok …" or "FAIL …" line per check; exit 1 when any failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONTENT "written through the pod\n"

static int failures;

static void check(int ok, const char *what) {
  printf("%s %s\n", ok ? "ok" : "FAIL", what);
  if (!ok) failures++;
}

static void path_in(char *out, size_t cap, const char *dir, const char *name) { snprintf(out, cap, "%s/%s", dir, name); }

/* Whole content of `path` read with read(2), NUL-terminated into out; bytes read or -1. */
static ssize_t slurp(const char *path, char *out, size_t cap) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t total = 0, n;
  while ((size_t)total < cap - 1 && (n = read(fd, out + total, cap - 1 - (size_t)total)) > 0) total += n;
  close(fd);
  out[total] = '\0';
  return total;
}

static void write_checks(const char *file) {
  int fd = open(file, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  check(fd >= 0, "open(O_CREAT | O_WRONLY) of a file in the pod directory");
  check(fd >= 0 && write(fd, CONTENT, strlen(CONTENT)) == (ssize_t)strlen(CONTENT), "write");
  check(fd >= 0 && (fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY, "fcntl(F_GETFL) reports O_WRONLY");
  check(fd >= 0 && fcntl(fd, F_SETFL, O_APPEND) == 0 && (fcntl(fd, F_GETFL) & O_APPEND) != 0,
        "fcntl(F_SETFL, O_APPEND) shows in F_GETFL");
  int copy = fd >= 0 ? dup(fd) : -1;
  check(copy >= 0 && close(fd) == 0 && close(copy) == 0, "dup and close both descriptors");
}

static void read_checks(const char *file) {
  char got[256];
  check(slurp(file, got, sizeof(got)) == (ssize_t)strlen(CONTENT) && strcmp(got, CONTENT) == 0,
        "read returns what was written");
  struct stat st;
  check(stat(file, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == (off_t)strlen(CONTENT),
        "stat: a regular file of the written size");
  int fd = open(file, O_RDONLY);
  struct stat by_fd;
  check(fd >= 0 && fstat(fd, &by_fd) == 0 && by_fd.st_size == st.st_size && by_fd.st_ino == st.st_ino,
        "fstat agrees with stat");
  char middle[8] = {0};
  check(fd >= 0 && pread(fd, middle, 7, 8) == 7 && strcmp(middle, "through") == 0, "pread at an offset");
  check(fd >= 0 && lseek(fd, -5, SEEK_END) == (off_t)strlen(CONTENT) - 5, "lseek from the end");
  if (fd >= 0) close(fd);
  FILE *stream = fopen(file, "r");
  char line[256] = {0};
  check(stream && fgets(line, sizeof(line), stream) && strcmp(line, CONTENT) == 0, "fopen + fgets (stdio)");
  if (stream) fclose(stream);
}

static void directory_checks(const char *dir) {
  DIR *listing = opendir(dir);
  int seen = 0;
  for (struct dirent *entry; listing && (entry = readdir(listing));)
    if (strcmp(entry->d_name, "probe.txt") == 0) seen = entry->d_type == DT_REG || entry->d_type == DT_UNKNOWN;
  check(listing && seen, "opendir + readdir list the new file");
  if (listing) closedir(listing);
  char home[PATH_MAX], cwd[PATH_MAX], got[256];
  check(getcwd(home, sizeof(home)) != NULL, "getcwd before chdir");
  check(chdir(dir) == 0, "chdir into the pod directory");
  check(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, dir) == 0, "getcwd reports the pod directory");
  check(access("probe.txt", R_OK) == 0, "access of a relative path");
  check(slurp("probe.txt", got, sizeof(got)) > 0 && strcmp(got, CONTENT) == 0, "read through a relative path");
  check(rename("probe.txt", "kept.txt") == 0, "rename in the pod directory");
  errno = 0;
  check(unlink("probe.txt") == -1 && errno == ENOENT, "unlink of the old name fails with ENOENT");
  check(chdir(home) == 0, "chdir back");
}

static void errno_checks(const char *dir) {
  errno = 0;
  check(rmdir(dir) == -1 && errno == ENOTEMPTY, "rmdir of a non-empty pod directory fails with ENOTEMPTY");
  char missing[PATH_MAX];
  path_in(missing, sizeof(missing), dir, "missing/deeper");
  errno = 0;
  check(open(missing, O_RDONLY) == -1 && errno == ENOENT, "open of a missing path fails with ENOENT");
  errno = 0;
  check(mkdir(dir, 0755) == -1 && errno == EEXIST, "mkdir of an existing directory fails with EEXIST");
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3 || argv[1][0] != '/') {
    fprintf(stderr, "usage: %s ABSOLUTE_POD_DIR [SEED_CONTENT]\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1];
  char file[PATH_MAX], got[256];
  check(mkdir(dir, 0755) == 0 || errno == EEXIST, "mkdir of the pod directory");
  if (argc == 3) {
    path_in(file, sizeof(file), dir, "seed.txt");
    check(slurp(file, got, sizeof(got)) >= 0 && strcmp(got, argv[2]) == 0, "reads the pod's own seed.txt");
  }
  path_in(file, sizeof(file), dir, "probe.txt");
  write_checks(file);
  read_checks(file);
  directory_checks(dir);
  errno_checks(dir);
  return failures ? 1 : 0;
}
