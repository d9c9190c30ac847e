/* libmirrord_layer: constructor. Decides once, at load time, whether this process is under mirrord. */
#include "layer.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef __APPLE__
#include <mach-o/dyld.h>
#endif

#include "fdtable.h"
#include "fs_policy.h"
#include "guard.h"
#include "layer_config.h"
#include "layer_env.h"
#include "process_skip.h"
#include "proxy_client.h"
#include "real.h"
#include "remote_env.h"
#include "sys.h"

/* Lets `mirrord diagnose` and tests confirm which layer a process loaded (dlsym / nm -D). */
LAYER_EXPORT const char mirrord_layer_version[] = MIRRORD_LAYER_VERSION;

__thread int layer_depth;

static struct {
  bool active;
  layer_config config;
} layer;

const mp_msg_layer_config *layer_active_config(void) { return layer.active ? &layer.config : NULL; }
bool layer_feature_hostname(void) { return layer.active && layer.config.hostname; }

static void debug(const struct layer_env *env, const char *format, const char *detail) {
  if (!env->debug) return;
  char line[512];
  snprintf(line, sizeof(line), "mirrord-layer[%d]: ", (int)getpid());
  size_t used = strlen(line);
  snprintf(line + used, sizeof(line) - used, format, detail);
  sys_say(line);
}

/* The path of this process's executable (for skip_processes); false when it cannot be told. */
static bool executable_path(char *buf, size_t size) {
#ifdef __APPLE__
  uint32_t room = (uint32_t)size;
  return _NSGetExecutablePath(buf, &room) == 0;
#else
  ssize_t len = readlink("/proc/self/exe", buf, size - 1);
  buf[len > 0 ? len : 0] = '\0';
  return len > 0;
#endif
}

__attribute__((constructor)) static void layer_init(int argc, char **argv, char **envp) {
  (void)envp;
  int saved_errno = errno;
  struct layer_env env;
  layer_env_read(&env);
  if (env.mode == LAYER_INACTIVE) {
    debug(&env, "inactive (%s)\n", "no mirrord session in the environment");
    goto out;
  }
  char problem[256];
  if (env.mode == LAYER_MISCONFIGURED || !layer_config_load(&layer.config, problem, sizeof(problem))) {
    char line[400];
    snprintf(line, sizeof(line), "mirrord-layer: not active in pid %d: %s\n", (int)getpid(),
             env.mode == LAYER_MISCONFIGURED ? env.problem : problem);
    sys_say(line);
    goto out;
  }
  real_resolve();

  char exe[PATH_MAX];
  const char *exec_name = executable_path(exe, sizeof(exe)) ? path_basename(exe) : NULL;
  const char *invoked_as = argc > 0 && argv && argv[0] ? path_basename(argv[0]) : NULL;
  if (process_is_skipped(&layer.config, exec_name, invoked_as)) {
    debug(&env, "skipped (%s is in skip_processes or a build tool)\n", invoked_as ? invoked_as : "?");
    goto out;
  }

  char name[128];
  snprintf(name, sizeof(name), "%s[%d]", invoked_as ? invoked_as : (exec_name ? exec_name : "?"), (int)getpid());
  guard_enter();
  int rc = proxy_open(&env.intproxy_addr, name);
  remote_env_apply(&layer.config);
  fs_policy_init(&layer.config);
  fdtable_follow_fd_events();
  guard_leave();
  layer.active = true;
  debug(&env, rc == 0 ? "active (%s)\n" : "active, but the internal proxy is unreachable (%s)\n", name);
out:
  errno = saved_errno;
}
