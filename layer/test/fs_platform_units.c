/*
 * Unit checks of pattern.c (the PCRE2 side: caseless search, compile errors, pattern_replace for
 * fs.mapping) and fs_platform.c (Linux side: struct dirent / stat / statvfs from the agent's values,
 * which open flags take a mode, the identity translations), linked with those sources only. Prints one
 * line per failed check and `checks=<n> failed=<m>`; exits 1 when any failed. Run by
 * test/e2e/fs-platform-units.test.ts.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fs_platform.h"
#include "pattern.h"
#include "unit_check.h"


static bool compile(struct pattern *out, const char *source, unsigned options) {
  char error[128];
  return pattern_compile_with(out, (const uint8_t *)source, (uint32_t)strlen(source), options, error, sizeof(error));
}

static bool search(const struct pattern *pattern, const char *subject) {
  return pattern_search(pattern, (const uint8_t *)subject, (uint32_t)strlen(subject));
}

static long replace(const struct pattern *pattern, const char *subject, const char *replacement, char *out,
                    size_t cap) {
  return pattern_replace(pattern, subject, strlen(subject), (const uint8_t *)replacement,
                         (uint32_t)strlen(replacement), out, cap);
}

static void pattern_checks(void) {
  struct pattern caseless, exact, alias;
  CHECK("caseless compiles", compile(&caseless, "^/SRV/data(/|$)", PATTERN_CASELESS));
  CHECK("caseless matches other case", search(&caseless, "/srv/Data/file"));
  CHECK("caseless stays anchored", !search(&caseless, "/x/srv/data"));
  CHECK("exact compiles", compile(&exact, "^/SRV/data", 0));
  CHECK("without the option case matters", !search(&exact, "/srv/data"));
  CHECK("search is unanchored", compile(&exact, "b+c", 0) && search(&exact, "aabbbcd"));

  char error[128] = "";
  struct pattern bad;
  CHECK("a bad pattern does not compile", !pattern_compile_with(&bad, (const uint8_t *)"(", 1, 0, error, sizeof(error)));
  CHECK("and says why", error[0] != '\0');

  char out[64];
  CHECK("mapping compiles", compile(&alias, "^/alias/(.*)$", PATTERN_CASELESS));
  CHECK("$1 replaces the group", replace(&alias, "/alias/x/y", "/data/$1", out, sizeof(out)) == 9 &&
                                     strcmp(out, "/data/x/y") == 0);
  CHECK("${1} and $$", replace(&alias, "/alias/q", "/d/${1}$$", out, sizeof(out)) == 5 && strcmp(out, "/d/q$") == 0);
  CHECK("no match is -1", replace(&alias, "/other/q", "/data/$1", out, sizeof(out)) == -1);
  CHECK("a result that does not fit is -1", replace(&alias, "/alias/long-name", "/data/$1", out, 8) == -1);
  struct pattern middle;
  CHECK("only the first match is replaced", compile(&middle, "o", 0) &&
                                               replace(&middle, "/foo/bar", "0", out, sizeof(out)) == 8 &&
                                               strcmp(out, "/f0o/bar") == 0);
}

static void platform_checks(void) {
  char name[400];
  memset(name, 'n', sizeof(name));
  mp_dir_entry entry = {.ino = 42, .offset = 7, .file_type = DT_DIR, .name = {(const uint8_t *)name, 300}};
  struct dirent out;
  fs_platform_dirent(&out, &entry);
  CHECK("dirent ino, offset, type", out.d_ino == 42 && out.d_off == 7 && out.d_type == DT_DIR);
  CHECK("dirent name cut to d_name", strlen(out.d_name) == sizeof(out.d_name) - 1);
  entry.name.len = 3;
  fs_platform_dirent(&out, &entry);
  CHECK("dirent short name", strcmp(out.d_name, "nnn") == 0 && out.d_reclen == sizeof(out));

  mp_metadata meta = {.ino = 9, .mode = S_IFREG | 0640, .size = 1234, .mtime = {.sec = 100, .nsec = 5}};
  struct stat st;
  fs_platform_stat(&meta, &st);
  CHECK("stat fields", st.st_ino == 9 && S_ISREG(st.st_mode) && st.st_size == 1234 && st.st_mtim.tv_sec == 100 &&
                           st.st_mtim.tv_nsec == 5);

  mp_stat_fs fs = {.bsize = 4096, .frsize = 0, .blocks = 10, .ffree = 3, .fsid = 0x1122334455667788ULL,
                   .namelen = 255, .flags = 0x21};
  struct statvfs vfs;
  fs_platform_statvfs(&fs, &vfs);
  CHECK("statvfs frsize falls back to bsize", vfs.f_frsize == 4096 && vfs.f_bsize == 4096);
  CHECK("statvfs drops ST_VALID", vfs.f_flag == 1);
  CHECK("statvfs counts and names", vfs.f_blocks == 10 && vfs.f_favail == 3 && vfs.f_namemax == 255 &&
                                        vfs.f_fsid == 0x1122334455667788ULL);
  struct statfs sfs;
  fs_platform_statfs(&fs, &sfs);
  CHECK("statfs keeps the flags", sfs.f_flags == 0x21 && sfs.f_namelen == 255 && sfs.f_bsize == 4096);

  CHECK("O_CREAT takes a mode", fs_platform_takes_mode(O_WRONLY | O_CREAT));
  CHECK("O_TMPFILE takes a mode", fs_platform_takes_mode(O_RDWR | O_TMPFILE));
  CHECK("O_DIRECTORY alone does not", !fs_platform_takes_mode(O_RDONLY | O_DIRECTORY));
  CHECK("Linux values go out as they are",
        fs_platform_wire_open_flags(O_RDWR | O_APPEND | O_CLOEXEC) == (O_RDWR | O_APPEND | O_CLOEXEC) &&
            fs_platform_wire_at_flags(AT_REMOVEDIR) == AT_REMOVEDIR && fs_platform_errno(ENOTEMPTY) == ENOTEMPTY);
  char cwd[4096];
  CHECK("the real cwd", fs_platform_real_cwd(cwd, sizeof(cwd)) && cwd[0] == '/');
  char exe[4096];
  CHECK("the executable", fs_platform_executable(exe, sizeof(exe)) > 0 && strstr(exe, "fs_platform_units") != NULL);
}

int main(void) {
  pattern_checks();
  platform_checks();
  return unit_check_report();
}
