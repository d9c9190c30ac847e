#include "process_skip.h"

#include <string.h>

/* mirrord's build-tool list, verbatim (layer.md §8b). */
static const char *const BUILD_TOOLS[] = {
    "as",   "cc",    "ld",    "go",      "air",     "asm",      "cc1",         "cgo",
    "dlv",  "gcc",   "git",   "link",    "math",    "cargo",    "hpack",       "rustc",
    "compile", "collect2", "cargo-watch", "debugserver", "jspawnhelper", "bazel-real", "clang",
};

const char *path_basename(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* True when `name` equals one of the entries exactly. */
static bool in_list(uint32_t count, const mp_bytes *items, const char *name) {
  if (!name) return false;
  size_t name_len = strlen(name);
  for (uint32_t i = 0; i < count; i++) {
    if (items[i].len == name_len && memcmp(items[i].ptr, name, name_len) == 0) return true;
  }
  return false;
}

static bool is_build_tool(const layer_config *config, const char *name) {
  if (!name) return false;
  for (size_t i = 0; i < sizeof(BUILD_TOOLS) / sizeof(BUILD_TOOLS[0]); i++) {
    if (strcmp(BUILD_TOOLS[i], name) == 0) return true;
  }
  return in_list(config->skip_extra_build_tools.count, config->skip_extra_build_tools.items, name);
}

static bool ends_with(const char *text, const char *suffix) {
  if (!text) return false;
  size_t text_len = strlen(text), suffix_len = strlen(suffix);
  return text_len >= suffix_len && strcmp(text + text_len - suffix_len, suffix) == 0;
}

bool process_is_skipped(const layer_config *config, const char *exec_name, const char *invoked_as) {
  if (config->skip_build_tools && (is_build_tool(config, exec_name) || is_build_tool(config, invoked_as))) {
    return true;
  }
  if (ends_with(exec_name, "JetBrains.Debugger.Worker") || ends_with(invoked_as, "JetBrains.Debugger.Worker")) {
    return true;
  }
  const mp_bytes *names = config->skip_processes.items;
  uint32_t count = config->skip_processes.count;
  return in_list(count, names, exec_name) || in_list(count, names, invoked_as);
}
