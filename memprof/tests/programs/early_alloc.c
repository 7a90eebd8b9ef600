/* A preloaded library listed before libhpcmon_mem.so in LD_PRELOAD: its constructor runs first,
   and its first allocation happens inside dlsym (the error path of a missing symbol allocates the
   message), so the profiler's first call arrives in the middle of dlsym. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char early_message[256];

__attribute__((constructor)) static void early(void) {
  void* missing = dlsym(RTLD_NEXT, "hpcmon_memprof_no_such_symbol");
  const char* error = dlerror();
  if (missing == NULL && error != NULL) {
    strncpy(early_message, error, sizeof early_message - 1);
  }
  char* copy = strdup("early");  /* freed: the profiler must accept it either way */
  free(copy);
}
