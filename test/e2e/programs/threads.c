/*
 * 16 threads call hooked functions concurrently: gethostname (cached after the first call) and
 * getaddrinfo of that name (a round trip to the agent every time). Meanwhile the program forks, and the
 * child, which must open its own session, resolves the name too.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 16
#define CALLS 50

static char expected_name[256];
static char expected_address[INET_ADDRSTRLEN];
static int mismatches;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The first IPv4 address of `name`, or "" when it does not resolve. */
static void resolve(const char *name, char *out) {
  struct addrinfo hints, *result = NULL;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  out[0] = '\0';
  if (getaddrinfo(name, NULL, &hints, &result) != 0) return;
  inet_ntop(AF_INET, &((struct sockaddr_in *)result->ai_addr)->sin_addr, out, INET_ADDRSTRLEN);
  freeaddrinfo(result);
}

static void *worker(void *arg) {
  (void)arg;
  for (int i = 0; i < CALLS; i++) {
    char name[256], address[INET_ADDRSTRLEN];
    int bad = gethostname(name, sizeof(name)) != 0 || strcmp(name, expected_name) != 0;
    resolve(expected_name, address);
    bad |= strcmp(address, expected_address) != 0;
    if (bad) {
      pthread_mutex_lock(&lock);
      mismatches++;
      pthread_mutex_unlock(&lock);
    }
  }
  return NULL;
}

int main(void) {
  if (gethostname(expected_name, sizeof(expected_name)) != 0) return 3;
  resolve(expected_name, expected_address);
  pthread_t threads[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, worker, NULL);
  /* fork while the other threads are inside hooks: the child must not inherit a held lock */
  pid_t child = fork();
  if (child == 0) {
    char name[256], address[INET_ADDRSTRLEN];
    if (gethostname(name, sizeof(name)) != 0) _exit(4);
    resolve(name, address);
    printf("child=%s %s\n", name, address);
    fflush(stdout);
    _exit(strcmp(name, expected_name) == 0 && strcmp(address, expected_address) == 0 ? 0 : 5);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
  int status = 0;
  waitpid(child, &status, 0);
  printf("parent=%s %s\nmismatches=%d\nchild_status=%d\n", expected_name, expected_address, mismatches,
         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
