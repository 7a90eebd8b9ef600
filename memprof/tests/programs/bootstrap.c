/* Runs with libmemprof_early.so preloaded before the profiler: prints the dlsym error its
   constructor saw, then leaks MEMPROF_TEST_BLOCKS blocks of MEMPROF_TEST_SIZE bytes. */
#include <stdio.h>

#include "planted.h"

extern char early_message[256] __attribute__((weak));
static void* volatile sink;

__attribute__((noinline)) void leak_after_bootstrap(size_t blocks, size_t size) {
  for (size_t i = 0; i < blocks; ++i) sink = malloc(size);
}

int main(void) {
  leak_after_bootstrap(planted_number("MEMPROF_TEST_BLOCKS", 4), planted_number("MEMPROF_TEST_SIZE", 96));
  printf("early: %s\n", &early_message ? early_message : "(not preloaded)");
  return 0;
}
