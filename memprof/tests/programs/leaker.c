/* Leaks MEMPROF_TEST_BLOCKS blocks of MEMPROF_TEST_SIZE bytes from planted_leak(), and makes
   balanced allocations elsewhere (freed, so never reported). Ends as MEMPROF_TEST_END says. */
#include <string.h>
#include <unistd.h>

#include "planted.h"

static void* volatile sink;

__attribute__((noinline)) void planted_leak(size_t blocks, size_t size) {
  for (size_t i = 0; i < blocks; ++i) {
    char* p = malloc(size);
    memset(p, 1, size);
    sink = p;
  }
}

/* MEMPROF_TEST_END: return from main (default), _exit(3), or a fatal signal: segv (a real invalid
   write), abort, term (SIGTERM sent to itself). Included here: planted_leak's lines stay put. */
#include <signal.h>

__attribute__((noinline)) static void balanced_work(void) {
  for (int i = 0; i < 1000; ++i) {
    void* p = malloc((size_t)(i % 200) + 1);
    sink = p;
    free(p);
  }
}

__attribute__((noinline)) static void* sink_null(void) { return sink == sink ? NULL : (void*)&sink; }

int main(void) {
  balanced_work();
  planted_leak(planted_number("MEMPROF_TEST_BLOCKS", 7), planted_number("MEMPROF_TEST_SIZE", 1000));
  balanced_work();
  static const char done[] = "leaker done\n";
  const int ok = write(1, done, sizeof done - 1) == (ssize_t)(sizeof done - 1);
  const char* end = getenv("MEMPROF_TEST_END");
  if (end != NULL && strcmp(end, "_exit") == 0) _exit(3);
  if (end != NULL && strcmp(end, "segv") == 0) *(volatile int*)sink_null() = 1;
  if (end != NULL && strcmp(end, "abort") == 0) abort();
  if (end != NULL && strcmp(end, "term") == 0) kill(getpid(), SIGTERM);
  return ok ? 0 : 1;
}
