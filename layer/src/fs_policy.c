#include "fs_policy.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fs_cwd.h"
#include "fs_platform.h"
#include "pattern.h"
#include "sys.h"

enum fs_mode { FS_MODE_LOCAL = 0, FS_MODE_LOCAL_WITH_OVERRIDES = 1, FS_MODE_READ = 2, FS_MODE_WRITE = 3 };

/* layer.md §3a, Linux entries, verbatim. */
static const char *const READ_LOCAL_BY_DEFAULT[] = {
    ".\\.so$", ".\\.sh$", ".\\.rb$", ".\\.d$", ".\\.pyc$", ".\\.py$", ".\\.jar$", ".\\.class$", ".\\.js$",
    ".\\.pth$", ".\\.plist$", "venv\\.cfg$", "^/proc(/|$)", "^/sys(/|$)", "^/lib(/|$)", "^/etc(/|$)",
    "^/usr(/|$)", "^/home(/|$)", "^/bin(/|$)", "^/sbin(/|$)", "^/dev(/|$)", "^/opt(/|$)", "^/tmp(/|$)",
    "^/var/tmp(/|$)", "^/var/db/timezone/zoneinfo(/|$)", "^/snap(/|$)", "^/run(/|$)", "^/selinux(/|$)",
    "^/nix(/|$)", ".+\\.asdf/.+", "^/home/iojs(/|$)", "^/home/runner(/|$)", "clr-.*-pipe-", "\\.pdb$",
    "\\.dll$", ".*(^|/)jvm\\.cfg$", "/package\\.json$", "/\\.yarnrc$", "/\\.yarnrc.yml$", "/\\.yarnrc.json$",
    "/node_modules", ".*/\\.tool-versions$", "^/Program Files", "^/$",
#ifdef __APPLE__
    /* layer.md §3a's macOS-only entries */
    "^/Volumes(/|$)", "^/private(/|$)", "^/var/folders(/|$)", "^/Users", "^/Library", "^/Applications", "^/System",
    "^/var/run/com.apple", "^/Network",
#endif
};
static const char *const READ_REMOTE_BY_DEFAULT[] = {
    "^/etc/resolv.conf$", "^/etc/hosts$", "^/etc/hostname$", "^/etc/ssl/certs(/|$)",
};
static const char *const NOT_FOUND_UNDER_HOME[] = {"\\.config/gcloud", "\\.kube", "\\.azure"};

/* Sized to the user's list once at start (any length; nothing is dropped). */
struct pattern_list {
  struct pattern **codes;
  uint32_t count;
};

struct mapping {
  struct pattern *code;
  const uint8_t *replacement;
  uint32_t replacement_len;
};

static struct {
  enum fs_mode mode;
  size_t read_buffer;
  struct pattern_list read_write, read_only, local, not_found;
  struct mapping *mappings;
  uint32_t mapping_count;
  /* Each built-in list is one alternation: one match per list keeps local opens cheap. */
  /* The local list split in two: anchored entries fail or match at once, so most paths skip the rest. */
  struct pattern *default_local_anchored, *default_local_floating, *default_remote, *default_not_found;
  /* Every not-found entry starts with "$HOME/", every remote one with "/etc/": a prefix check first
   * spares most paths two regex matches. */
  char home[4096];
  size_t home_len;
} policy;

static struct pattern *compile(const char *source, size_t len, const char *what) {
  struct pattern *code = malloc(sizeof(*code));
  char message[160] = "out of memory";
  if (code && pattern_compile_with(code, (const uint8_t *)source, (uint32_t)len, PATTERN_CASELESS, message,
                                   sizeof(message)))
    return code;
  free(code);
  char line[512];
  snprintf(line, sizeof(line), "mirrord-layer: ignoring %s pattern '%.*s': %s\n", what, (int)(len < 200 ? len : 200),
           source, message);
  sys_say(line);
  return NULL;
}

static void compile_list(struct pattern_list *list, const mp_bytes *items, uint32_t count, const char *what) {
  list->codes = count ? calloc(count, sizeof(*list->codes)) : NULL;
  if (!list->codes) return;
  for (uint32_t i = 0; i < count; i++) {
    struct pattern *code = compile((const char *)items[i].ptr, items[i].len, what);
    if (code) list->codes[list->count++] = code;
  }
}

/* Appends `text` with every regex metacharacter escaped. */
static void append_escaped(char *out, size_t cap, const char *text) {
  size_t used = strlen(out);
  for (; *text && used + 3 < cap; text++) {
    if (strchr("\\^$.|?*+()[]{}", *text)) out[used++] = '\\';
    out[used++] = *text;
  }
  out[used] = '\0';
}

static void trim_trailing_slash(char *path) {
  size_t len = strlen(path);
  while (len > 1 && path[len - 1] == '/') path[--len] = '\0';
}

/*
 * "^/a(/b(/c)?)?/?$" for the cwd "/a/b/c/d": the directories leading to the cwd. They are the
 * laptop's as much as the cwd is, and runtimes lstat each of them to resolve a script's real path.
 */
static void ancestors_entry(char *out, size_t cap, const char *cwd) {
  const char *last = strrchr(cwd, '/');
  out[0] = '\0';
  if (!last || last == cwd) return; /* directly under "/", which ^/$ already keeps local */
  strcpy(out, "^");
  int depth = 0;
  for (const char *start = cwd + 1; start <= last; depth++) {
    const char *end = strchr(start, '/');
    char component[256];
    snprintf(component, sizeof(component), "%.*s", (int)(end - start), start);
    if (depth) strncat(out, "(", cap - strlen(out) - 1);
    strncat(out, "/", cap - strlen(out) - 1);
    append_escaped(out, cap, component);
    start = end + 1;
  }
  for (int i = 1; i < depth; i++) strncat(out, ")?", cap - strlen(out) - 1);
  strncat(out, "/?$", cap - strlen(out) - 1);
}

/* "(a)|(b)|…" of a fixed list plus computed entries, compiled as one regex (plain groups: POSIX regex
 * on macOS has no "(?:"). */
enum entries { ALL_ENTRIES, ANCHORED_ENTRIES, FLOATING_ENTRIES };

static bool wanted(const char *entry, enum entries which) {
  return entry && (which == ALL_ENTRIES || (entry[0] == '^') == (which == ANCHORED_ENTRIES));
}

static struct pattern *compile_alternation(const char *const *entries, size_t count, const char *const *extra,
                                           size_t extra_count, const char *prefix, enum entries which) {
  size_t cap = 1;
  for (size_t i = 0; i < count + extra_count; i++) {
    const char *entry = i < count ? entries[i] : extra[i - count];
    if (wanted(entry, which)) cap += strlen(entry) + strlen(prefix) + 8;
  }
  char *joined = calloc(1, cap);
  if (!joined) return NULL;
  for (size_t i = 0; i < count + extra_count; i++) {
    const char *entry = i < count ? entries[i] : extra[i - count];
    if (!wanted(entry, which)) continue;
    size_t used = strlen(joined);
    snprintf(joined + used, cap - used, "%s(%s%s)", used ? "|" : "", prefix, entry);
  }
  struct pattern *code = joined[0] ? compile(joined, strlen(joined), "built-in") : NULL;
  free(joined);
  return code;
}

static void compile_defaults(void) {
  static char cwd_entry[4200], cwd_ancestors[8400], exe_entry[4200], home_hidden[4200], tmp_entry[4200],
      home_prefix[4200];
  char buf[4096];
  const char *extra_local[5] = {NULL, NULL, NULL, NULL, NULL};

  const char *tmp = getenv("TMPDIR");
  strcpy(tmp_entry, "^");
  append_escaped(tmp_entry, sizeof(tmp_entry), tmp && *tmp ? tmp : "/tmp");
  extra_local[0] = tmp_entry;

  if (fs_platform_real_cwd(buf, sizeof(buf)) && strcmp(buf, "/") != 0) {
    trim_trailing_slash(buf);
    strcpy(cwd_entry, "^");
    append_escaped(cwd_entry, sizeof(cwd_entry), buf);
    strncat(cwd_entry, "(/|$)", sizeof(cwd_entry) - strlen(cwd_entry) - 1);
    extra_local[1] = cwd_entry;
    ancestors_entry(cwd_ancestors, sizeof(cwd_ancestors), buf);
    if (cwd_ancestors[0]) extra_local[4] = cwd_ancestors;
  }
  if (fs_platform_executable(buf, sizeof(buf)) > 0) {
    exe_entry[0] = '\0';
    append_escaped(exe_entry, sizeof(exe_entry), buf);
    strncat(exe_entry, "$", sizeof(exe_entry) - strlen(exe_entry) - 1);
    extra_local[2] = exe_entry;
  }
  const char *home = getenv("HOME");
  if (home && *home) {
    snprintf(buf, sizeof(buf), "%s", home);
    trim_trailing_slash(buf);
    snprintf(policy.home, sizeof(policy.home), "%s/", buf);
    policy.home_len = strlen(policy.home);
    strcpy(home_prefix, "^");
    append_escaped(home_prefix, sizeof(home_prefix), buf);
    strcat(home_prefix, "/");
    snprintf(home_hidden, sizeof(home_hidden), "%s\\.", home_prefix);
    extra_local[3] = home_hidden;
    policy.default_not_found = compile_alternation(NOT_FOUND_UNDER_HOME, 3, NULL, 0, home_prefix, ALL_ENTRIES);
  }
  size_t local_count = sizeof(READ_LOCAL_BY_DEFAULT) / sizeof(char *);
  policy.default_local_anchored =
      compile_alternation(READ_LOCAL_BY_DEFAULT, local_count, extra_local, 5, "", ANCHORED_ENTRIES);
  policy.default_local_floating =
      compile_alternation(READ_LOCAL_BY_DEFAULT, local_count, extra_local, 5, "", FLOATING_ENTRIES);
  policy.default_remote = compile_alternation(READ_REMOTE_BY_DEFAULT, 4, NULL, 0, "", ALL_ENTRIES);
}

void fs_policy_init(const mp_msg_layer_config *config) {
  policy.mode = config->fs_mode <= FS_MODE_WRITE ? (enum fs_mode)config->fs_mode : FS_MODE_READ;
  policy.read_buffer = config->fs_read_buffer;
  if (policy.mode == FS_MODE_LOCAL) return;
  compile_list(&policy.read_write, config->fs_read_write.items, config->fs_read_write.count, "fs.read_write");
  compile_list(&policy.read_only, config->fs_read_only.items, config->fs_read_only.count, "fs.read_only");
  compile_list(&policy.local, config->fs_local.items, config->fs_local.count, "fs.local");
  compile_list(&policy.not_found, config->fs_not_found.items, config->fs_not_found.count, "fs.not_found");
  policy.mappings = config->fs_mapping.count ? calloc(config->fs_mapping.count, sizeof(*policy.mappings)) : NULL;
  for (uint32_t i = 0; policy.mappings && i < config->fs_mapping.count; i++) {
    const mp_fs_mapping *entry = &config->fs_mapping.items[i];
    struct pattern *code = compile((const char *)entry->pattern.ptr, entry->pattern.len, "fs.mapping");
    if (!code) continue;
    policy.mappings[policy.mapping_count++] =
        (struct mapping){code, entry->replacement.ptr, entry->replacement.len};
  }
  compile_defaults();
}

bool fs_policy_active(void) { return policy.mode != FS_MODE_LOCAL; }
size_t fs_policy_read_buffer(void) { return policy.read_buffer; }

static bool matches(const struct pattern *code, const char *path, size_t len) {
  return code && pattern_search(code, (const uint8_t *)path, (uint32_t)len);
}

/* Strict UTF-8 (no overlong forms, surrogates or code points past U+10FFFF): other paths stay local. */
static bool valid_utf8(const unsigned char *s, size_t len) {
  for (size_t i = 0; i < len;) {
    unsigned char lead = s[i];
    if (lead < 0x80) {
      i++;
      continue;
    }
    size_t extra = (lead & 0xE0) == 0xC0 ? 1 : (lead & 0xF0) == 0xE0 ? 2 : (lead & 0xF8) == 0xF0 ? 3 : 0;
    if (extra == 0 || i + extra >= len) return false;
    uint32_t point = lead & (0x3F >> extra);
    for (size_t k = 1; k <= extra; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      point = (point << 6) | (s[i + k] & 0x3F);
    }
    static const uint32_t smallest[] = {0, 0x80, 0x800, 0x10000};
    if (point < smallest[extra] || point > 0x10FFFF || (point >= 0xD800 && point <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

static bool any_matches(const struct pattern_list *list, const char *path, size_t len) {
  for (uint32_t i = 0; i < list->count; i++)
    if (matches(list->codes[i], path, len)) return true;
  return false;
}

/* Joins a relative path onto the cwd (the remote one when set, else the real one); false when it does not fit. */
static bool absolute_path(const char *path, char *out, size_t cap, bool *remote_cwd) {
  size_t len = strlen(path);
  *remote_cwd = false;
  if (path[0] == '/') {
    if (len >= cap) return false;
    memcpy(out, path, len + 1);
    return true;
  }
  *remote_cwd = fs_cwd_remote(out, cap);
  if (!*remote_cwd && !fs_platform_real_cwd(out, cap)) return false;
  size_t base = strlen(out);
  if (base + 1 + len >= cap) return false;
  if (out[base - 1] != '/') out[base++] = '/';
  memcpy(out + base, path, len + 1);
  return true;
}

/* Applies the first mapping whose pattern matches (first occurrence only, like Regex::replace). */
static bool apply_mapping(char *path, size_t cap) {
  for (uint32_t i = 0; i < policy.mapping_count; i++) {
    const struct mapping *m = &policy.mappings[i];
    size_t len = strlen(path);
    if (!matches(m->code, path, len)) continue;
    char out[4096];
    long out_len = pattern_replace(m->code, path, len, m->replacement, m->replacement_len, out, sizeof(out));
    if (out_len < 0 || (size_t)out_len >= cap) return false;
    memcpy(path, out, (size_t)out_len + 1);
    return true;
  }
  return false;
}

/*
 * Recent decisions, per thread. Programs route the same paths again and again (a runtime resolving its
 * modules, a server re-reading its config), and a decision depends only on the absolute path and on
 * whether it writes: the configuration and the computed entries never change after start. Paths the
 * mapping rewrites are not cached (the caller needs the rewritten path too).
 */
#define ROUTE_CACHE_SLOTS 16
#define ROUTE_CACHE_PATH 176

struct cached_route {
  uint32_t hash;
  uint16_t len; /* 0 = empty slot */
  uint8_t route;
  bool writing;
  char path[ROUTE_CACHE_PATH];
};

static __thread struct cached_route route_cache[ROUTE_CACHE_SLOTS];

static uint32_t path_hash(const char *path, size_t len) {
  uint32_t hash = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < len; i++) hash = (hash ^ (unsigned char)path[i]) * 16777619u;
  return hash;
}

static struct cached_route *cache_slot(uint32_t hash) { return &route_cache[hash % ROUTE_CACHE_SLOTS]; }

static bool cache_hit(const struct cached_route *slot, uint32_t hash, const char *path, size_t len, bool writing) {
  return slot->len == len && slot->hash == hash && slot->writing == writing && memcmp(slot->path, path, len) == 0;
}

static void cache_store(struct cached_route *slot, uint32_t hash, const char *path, size_t len, bool writing,
                        enum fs_route route) {
  if (len == 0 || len >= ROUTE_CACHE_PATH) return;
  *slot = (struct cached_route){.hash = hash, .len = (uint16_t)len, .route = (uint8_t)route, .writing = writing};
  memcpy(slot->path, path, len);
}

static enum fs_route decide(char *resolved, size_t resolved_len, bool writing, bool *remapped);

enum fs_route fs_policy_route(const char *path, bool writing, char *resolved, size_t resolved_len,
                              bool *remapped) {
  *remapped = false;
  bool remote_cwd;
  if (policy.mode == FS_MODE_LOCAL || !path || !absolute_path(path, resolved, resolved_len, &remote_cwd))
    return FS_ROUTE_LOCAL;
  size_t len = strlen(resolved);
  uint32_t hash = path_hash(resolved, len);
  struct cached_route *slot = cache_slot(hash);
  bool mapped = false;
  enum fs_route route;
  if (cache_hit(slot, hash, resolved, len, writing)) {
    route = (enum fs_route)slot->route;
  } else {
    route = decide(resolved, resolved_len, writing, &mapped);
    if (!mapped) cache_store(slot, hash, resolved, len, writing, route);
  }
  /* Against a remote cwd, even a local route must use the absolute path: the real cwd is elsewhere. */
  *remapped = mapped || remote_cwd;
  return route;
}

/* The decision order of layer.md §3 for an absolute path; `*remapped` says whether mapping rewrote it. */
static enum fs_route decide(char *resolved, size_t resolved_len, bool writing, bool *remapped) {
  if (!valid_utf8((const unsigned char *)resolved, strlen(resolved))) return FS_ROUTE_LOCAL;
  *remapped = apply_mapping(resolved, resolved_len);
  size_t len = strlen(resolved);
  if (any_matches(&policy.not_found, resolved, len)) return FS_ROUTE_NOT_FOUND;
  if (any_matches(&policy.read_write, resolved, len)) return FS_ROUTE_REMOTE;
  if (any_matches(&policy.read_only, resolved, len)) return writing ? FS_ROUTE_LOCAL : FS_ROUTE_REMOTE;
  if (any_matches(&policy.local, resolved, len)) return FS_ROUTE_LOCAL;
  bool under_home = policy.home_len && strncasecmp(resolved, policy.home, policy.home_len) == 0;
  if (under_home && matches(policy.default_not_found, resolved, len)) return FS_ROUTE_NOT_FOUND;
  bool under_etc = strncasecmp(resolved, "/etc/", 5) == 0;
  if (!writing && under_etc && matches(policy.default_remote, resolved, len)) return FS_ROUTE_REMOTE;
  if (matches(policy.default_local_anchored, resolved, len) || matches(policy.default_local_floating, resolved, len))
    return FS_ROUTE_LOCAL;
  switch (policy.mode) {
    case FS_MODE_WRITE: return FS_ROUTE_REMOTE;
    case FS_MODE_READ: return writing ? FS_ROUTE_LOCAL : FS_ROUTE_REMOTE;
    default: return FS_ROUTE_LOCAL;
  }
}
