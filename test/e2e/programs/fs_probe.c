/*
 * Runs file operations named on the command line and prints one line per operation:
 * `<op> <path> => ok <result>` or `<op> <path> => err <ERRNO NAME>`. Used by files.test.ts.
 * Operations: fread (stdio), readfd (open + 1-byte reads), list (opendir/readdir), stat, lstat,
 * write (fopen "w"), append (open O_APPEND + write), mkdir, unlink, access-x, readlink, realpath,
 * big (pwrite/pread/lseek past 4 GiB on a sparse file, then truncate back to 0), dup (reads through dup,
 * dup2 and F_DUPFD_CLOEXEC duplicates after closing the original: one shared offset), fork (a forked child
 * reads through the fd its parent opened), freopen (stdin reopened on the path, read to its end), freopen-w (a
 * stream reopened on the path for writing), getdents (raw getdents64 through a 64-byte buffer, then again after
 * rewinding with lseek), chdir / fchdir (into the path; `-` as the path means "." ), getcwd, truncate:LEN,
 * chmod:OCTAL / fchmod:OCTAL, chown:UID.GID / fchown:UID.GID, utimens:SECONDS / futimens:SECONDS (mtime;
 * atime left as it is), meta (mode, owner, mtime and size from stat).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static void fail(const char *op, const char *path) { printf("%s %s => err %s\n", op, path, strerrorname_np(errno)); }

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

struct linux_dirent64 {
  unsigned long long d_ino;
  long long d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

/* Names (without . and ..) from getdents64 until the end, space-separated and sorted into `out`. */
static int getdents_names(int fd, char *out, size_t cap) {
  char *names[512];
  int count = 0;
  char buf[64] __attribute__((aligned(8)));
  ssize_t n;
  while ((n = getdents64(fd, buf, sizeof(buf))) > 0)
    for (ssize_t at = 0; at < n;) {
      struct linux_dirent64 *entry = (struct linux_dirent64 *)(buf + at);
      if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, "..") && count < 512) names[count++] = strdup(entry->d_name);
      at += entry->d_reclen;
    }
  if (n < 0) return -1;
  qsort(names, count, sizeof(char *), by_name);
  out[0] = '\0';
  for (int i = 0; i < count; i++) {
    snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? " " : "", names[i]);
    free(names[i]);
  }
  return count;
}

/* The fd/path metadata operations; returns the call's result. */
static int change_meta(const char *op, const char *path, const char *arg) {
  bool by_fd = op[0] == 'f';
  int fd = by_fd ? open(path, O_RDONLY) : -1;
  if (by_fd && fd < 0) return -1;
  const char *what = by_fd ? op + 1 : op;
  int rc;
  if (!strcmp(what, "chmod")) {
    mode_t mode = (mode_t)strtol(arg, NULL, 8);
    rc = by_fd ? fchmod(fd, mode) : chmod(path, mode);
  } else if (!strcmp(what, "chown")) {
    uid_t uid = (uid_t)strtol(arg, NULL, 10);
    gid_t gid = (gid_t)strtol(strchr(arg, '.') + 1, NULL, 10);
    rc = by_fd ? fchown(fd, uid, gid) : chown(path, uid, gid);
  } else {
    struct timespec times[2] = {{0, UTIME_OMIT}, {strtol(arg, NULL, 10), 0}};
    rc = by_fd ? futimens(fd, times) : utimensat(AT_FDCWD, path, times, 0);
  }
  int error = errno;
  if (by_fd) close(fd);
  errno = error;
  return rc;
}

static void run(const char *op, const char *path, const char *arg) {
  char buf[65536];
  if (!strcmp(op, "fread")) {
    FILE *f = fopen(path, "r");
    if (!f) return fail(op, path);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    if (ferror(f)) {
      int error = errno;
      fclose(f);
      errno = error;
      return fail(op, path);
    }
    fclose(f);
    buf[n] = '\0';
    printf("%s %s => ok %s\n", op, path, buf);
  } else if (!strcmp(op, "readfd")) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(op, path);
    size_t n = 0;
    ssize_t got;
    while (n < sizeof(buf) - 1 && (got = read(fd, buf + n, 1)) == 1) n++;
    if (got < 0) {
      close(fd);
      return fail(op, path);
    }
    buf[n] = '\0';
    int flags = fcntl(fd, F_GETFD);
    close(fd);
    printf("%s %s => ok %s%s\n", op, path, buf, flags & FD_CLOEXEC ? "" : " (no cloexec!)");
  } else if (!strcmp(op, "list")) {
    DIR *dir = opendir(path);
    if (!dir) return fail(op, path);
    char *names[512];
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) && count < 512)
      if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, "..")) names[count++] = strdup(entry->d_name);
    closedir(dir);
    qsort(names, count, sizeof(char *), by_name);
    printf("%s %s => ok", op, path);
    for (int i = 0; i < count; i++) printf(" %s", names[i]);
    printf("\n");
  } else if (!strcmp(op, "stat") || !strcmp(op, "lstat")) {
    struct stat st;
    if ((op[0] == 's' ? stat(path, &st) : lstat(path, &st)) != 0) return fail(op, path);
    const char *type = S_ISDIR(st.st_mode) ? "dir" : S_ISLNK(st.st_mode) ? "link" : S_ISREG(st.st_mode) ? "file" : "other";
    printf("%s %s => ok %s %lld\n", op, path, type, S_ISDIR(st.st_mode) ? 0LL : (long long)st.st_size);
  } else if (!strcmp(op, "write")) {
    FILE *f = fopen(path, "w");
    if (!f) return fail(op, path);
    fputs(arg, f);
    if (fclose(f) != 0) return fail(op, path);
    printf("%s %s => ok\n", op, path);
  } else if (!strcmp(op, "append")) {
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0) return fail(op, path);
    ssize_t n = write(fd, arg, strlen(arg));
    close(fd);
    if (n < 0) return fail(op, path);
    printf("%s %s => ok\n", op, path);
  } else if (!strcmp(op, "mkdir")) {
    if (mkdir(path, 0755) != 0) return fail(op, path);
    printf("%s %s => ok\n", op, path);
  } else if (!strcmp(op, "unlink")) {
    if (unlink(path) != 0) return fail(op, path);
    printf("%s %s => ok\n", op, path);
  } else if (!strcmp(op, "access-x")) {
    if (access(path, X_OK) != 0) return fail(op, path);
    printf("%s %s => ok\n", op, path);
  } else if (!strcmp(op, "readlink")) {
    ssize_t n = readlink(path, buf, sizeof(buf) - 1);
    if (n < 0) return fail(op, path);
    buf[n] = '\0';
    printf("%s %s => ok %s\n", op, path, buf);
  } else if (!strcmp(op, "realpath")) {
    char out[PATH_MAX];
    if (!realpath(path, out)) return fail(op, path);
    printf("%s %s => ok %s\n", op, path, out);
  } else if (!strcmp(op, "big")) {
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return fail(op, path);
    const off_t far = 5LL * 1024 * 1024 * 1024 + 7;
    struct stat st;
    char got = 0;
    if (pwrite(fd, "Z", 1, far) != 1 || fstat(fd, &st) != 0 || pread(fd, &got, 1, far) != 1) {
      close(fd);
      return fail(op, path);
    }
    off_t end = lseek(fd, 0, SEEK_END);
    int truncated = ftruncate(fd, 0);
    close(fd);
    printf("%s %s => ok size=%lld byte=%c end=%lld truncated=%d blocks_small=%d\n", op, path, (long long)st.st_size, got,
           (long long)end, truncated, st.st_blocks < 1024);
  } else if (!strcmp(op, "dup")) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fail(op, path);
    int first = dup(fd), second = dup2(fd, 40), third = fcntl(fd, F_DUPFD_CLOEXEC, 50);
    close(fd);
    char a[3] = {0}, b[3] = {0}, c[3] = {0};
    ssize_t got = read(first, a, 2) + read(second, b, 2) + read(third, c, 2);
    int cloexec = fcntl(third, F_GETFD) & FD_CLOEXEC;
    close(first);
    close(second);
    close(third);
    if (got != 6) return fail(op, path);
    printf("%s %s => ok %s|%s|%s fd40=%d cloexec=%d\n", op, path, a, b, c, second, cloexec);
  } else if (!strcmp(op, "fork")) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fail(op, path);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
      ssize_t n = read(fd, buf, sizeof(buf) - 1);
      buf[n > 0 ? n : 0] = '\0';
      printf("%s %s => child %s\n", op, path, n >= 0 ? buf : strerrorname_np(errno));
      fflush(stdout);
      _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    close(fd);
    if (n < 0) return fail(op, path);
    buf[n] = '\0';
    printf("%s %s => ok parent %s\n", op, path, buf);
  } else if (!strcmp(op, "freopen")) {
    if (!freopen(path, "r", stdin)) return fail(op, path);
    size_t n = fread(buf, 1, sizeof(buf) - 1, stdin);
    buf[n] = '\0';
    printf("%s %s => ok %s\n", op, path, buf);
  } else if (!strcmp(op, "freopen-w")) {
    FILE *stream = fopen("/dev/null", "w");
    if (!stream || !freopen(path, "w", stream)) return fail(op, path);
    fputs(arg, stream);
    fclose(stream);
    printf("%s %s => ok\n", op, path);
  } else if (!strcmp(op, "getdents")) {
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return fail(op, path);
    char first[4096], again[4096];
    int count = getdents_names(fd, first, sizeof(first));
    int recount = count < 0 || lseek(fd, 0, SEEK_SET) != 0 ? -1 : getdents_names(fd, again, sizeof(again));
    int error = errno;
    close(fd);
    errno = error;
    if (count < 0 || recount < 0) return fail(op, path);
    printf("%s %s => ok %s again=%s\n", op, path, first, strcmp(first, again) ? "different" : "same");
  } else if (!strcmp(op, "chdir")) {
    if (chdir(strcmp(path, "-") ? path : ".") != 0) return fail(op, path);
    printf("%s %s => ok\n", op, path);
  } else if (!strcmp(op, "fchdir")) {
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return fail(op, path);
    int rc = fchdir(fd);
    int error = errno;
    close(fd);
    errno = error;
    if (rc != 0) return fail(op, path);
    printf("%s %s => ok\n", op, path);
  } else if (!strcmp(op, "getcwd")) {
    char small[2];
    bool range = getcwd(small, sizeof(small)) == NULL && errno == ERANGE;
    char *cwd = getcwd(NULL, 0);
    if (!cwd) return fail(op, path);
    printf("%s %s => ok %s erange=%d\n", op, path, cwd, range);
    free(cwd);
  } else if (!strcmp(op, "truncate")) {
    if (truncate(path, strtol(arg, NULL, 10)) != 0) return fail(op, path);
    printf("%s %s => ok\n", op, path);
  } else if (strstr(op, "chmod") || strstr(op, "chown") || strstr(op, "utimens")) {
    if (change_meta(op, path, arg) != 0) return fail(op, path);
    printf("%s %s => ok\n", op, path);
  } else if (!strcmp(op, "meta")) {
    struct stat st;
    if (stat(path, &st) != 0) return fail(op, path);
    printf("%s %s => ok mode=%o owner=%d.%d mtime=%lld size=%lld\n", op, path, st.st_mode & 07777, st.st_uid,
           st.st_gid, (long long)st.st_mtime, (long long)st.st_size);
  } else {
    printf("%s %s => unknown operation\n", op, path);
  }
}

int main(int argc, char **argv) {
  /* Each argument: op:path[:text] */
  for (int i = 1; i < argc; i++) {
    char *op = argv[i], *path = strchr(op, ':');
    if (!path) continue;
    *path++ = '\0';
    char *arg = strchr(path, ':');
    if (arg) *arg++ = '\0';
    run(op, path, arg ? arg : "");
    fflush(stdout);
  }
  return 0;
}
