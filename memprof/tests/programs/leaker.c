/* Leaks MEMPROF_TEST_BLOCKS blocks of MEMPROF_TEST_SIZE bytes from planted_leak(), and makes
   balanced allocations elsewhere (freed, so never reported). */
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

__attribute__((noinline)) static void balanced_work(void) {
  for (int i = 0; i < 1000; ++i) {
    void* p = malloc((size_t)(i % 200) + 1);
    sink = p;
    free(p);
  }
}

int main(void) {
  balanced_work();
  planted_leak(planted_number("MEMPROF_TEST_BLOCKS", 7), planted_number("MEMPROF_TEST_SIZE", 1000));
  balanced_work();
  static const char done[] = "leaker done\n";
  return write(1, done, sizeof done - 1) == (ssize_t)(sizeof done - 1) ? 0 : 1;
}
