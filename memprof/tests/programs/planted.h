/* Planted leaks for the memprof tests: how many blocks and how big come from the environment
   (MEMPROF_TEST_BLOCKS, MEMPROF_TEST_SIZE), so a test can vary them without rebuilding. */
#ifndef HPCMON_MEMPROF_PLANTED_H
#define HPCMON_MEMPROF_PLANTED_H

#include <stdlib.h>

static inline size_t planted_number(const char* name, size_t fallback) {
  const char* text = getenv(name);
  return text != NULL && *text != '\0' ? (size_t)strtoull(text, NULL, 10) : fallback;
}

#endif
