#include "fs_cwd.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

static char remote_cwd[PATH_MAX];
/* Odd while a writer changes remote_cwd; 0 = local. A reader retries a copy torn by a writer. */
static _Atomic unsigned sequence;
static atomic_bool is_remote;
static pthread_mutex_t writers = PTHREAD_MUTEX_INITIALIZER;

bool fs_cwd_remote(char *out, size_t cap) {
  if (!atomic_load_explicit(&is_remote, memory_order_acquire)) return false;
  for (int attempt = 0; attempt < 1000; attempt++) {
    unsigned before = atomic_load_explicit(&sequence, memory_order_acquire);
    if (before & 1) continue;
    size_t len = strnlen(remote_cwd, sizeof(remote_cwd) - 1);
    bool fits = len < cap;
    if (fits) {
      memcpy(out, remote_cwd, len);
      out[len] = '\0';
    }
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&sequence, memory_order_relaxed) == before)
      return fits && atomic_load_explicit(&is_remote, memory_order_acquire);
  }
  return false;
}

void fs_cwd_set_remote(const char *pod_path) {
  pthread_mutex_lock(&writers);
  atomic_fetch_add_explicit(&sequence, 1, memory_order_acq_rel);
  if (pod_path) {
    size_t len = strnlen(pod_path, sizeof(remote_cwd) - 1);
    memcpy(remote_cwd, pod_path, len);
    remote_cwd[len] = '\0';
  }
  atomic_store_explicit(&is_remote, pod_path != NULL, memory_order_release);
  atomic_fetch_add_explicit(&sequence, 1, memory_order_acq_rel);
  pthread_mutex_unlock(&writers);
}
