/* 16 threads call gethostname concurrently; then the program forks and the child calls it too. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 16
#define CALLS 200

static char expected[256];
static int mismatches;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg) {
  (void)arg;
  for (int i = 0; i < CALLS; i++) {
    char name[256];
    if (gethostname(name, sizeof(name)) != 0 || strcmp(name, expected) != 0) {
      pthread_mutex_lock(&lock);
      mismatches++;
      pthread_mutex_unlock(&lock);
    }
  }
  return NULL;
}

int main(void) {
  if (gethostname(expected, sizeof(expected)) != 0) return 3;
  pthread_t threads[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, worker, NULL);
  /* fork while the other threads are inside hooks: the child must not inherit a held lock */
  pid_t child = fork();
  if (child == 0) {
    char name[256];
    if (gethostname(name, sizeof(name)) != 0) _exit(4);
    printf("child=%s\n", name);
    fflush(stdout);
    _exit(strcmp(name, expected) == 0 ? 0 : 5);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
  int status = 0;
  waitpid(child, &status, 0);
  printf("parent=%s\nmismatches=%d\nchild_status=%d\n", expected, mismatches, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
