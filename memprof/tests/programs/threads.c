/* Four threads, each with 10000 malloc/free pairs and MEMPROF_TEST_BLOCKS leaked blocks of
   MEMPROF_TEST_SIZE bytes from thread_leak(): exact counts under concurrency. */
#include <pthread.h>
#include <unistd.h>

#include "planted.h"

enum { kThreads = 4, kPairs = 10000 };
static void* volatile sink;
static size_t blocks, size;

__attribute__((noinline)) void thread_leak(void) {
  for (size_t i = 0; i < blocks; ++i) sink = malloc(size);
}

__attribute__((noinline)) static void pairs(void) {
  for (int i = 0; i < kPairs; ++i) {
    void* p = malloc(64);
    sink = p;
    free(p);
  }
}

static void* worker(void* arg) {
  (void)arg;
  pairs();
  thread_leak();
  pairs();
  return NULL;
}

int main(void) {
  blocks = planted_number("MEMPROF_TEST_BLOCKS", 5);
  size = planted_number("MEMPROF_TEST_SIZE", 333);
  pthread_t threads[kThreads];
  for (int i = 0; i < kThreads; ++i)
    if (pthread_create(&threads[i], NULL, worker, NULL) != 0) return 2;
  for (int i = 0; i < kThreads; ++i) pthread_join(threads[i], NULL);
  static const char done[] = "threads done\n";
  return write(1, done, sizeof done - 1) == (ssize_t)(sizeof done - 1) ? 0 : 1;
}
