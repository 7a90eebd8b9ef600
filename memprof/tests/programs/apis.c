/* Every interposed entry point with known counts and sizes (memprof.apis in memprof_test.cpp
   holds the hand-derived totals): leaks from named functions, one balanced pair, mmap/munmap. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "planted.h"

static void* volatile sink;

__attribute__((noinline)) void leak_calloc(void) {
  for (int i = 0; i < 5; ++i) sink = calloc(3, 100);  /* 5 blocks of 300 bytes */
}

__attribute__((noinline)) void leak_realloc(void) {
  char* p = malloc(10);
  p = realloc(p, 100);
  p = realloc(p, 1000);  /* the block left: 1000 bytes, from this line */
  sink = p;
}

__attribute__((noinline)) void leak_aligned(void) {
  void* p;
  for (int i = 0; i < 2; ++i)
    if (posix_memalign(&p, 64, 4096) == 0) sink = p;
  for (int i = 0; i < 3; ++i) sink = aligned_alloc(128, 256);
  sink = memalign(32, 48);
  sink = valloc(100);
  sink = pvalloc(100);
}

__attribute__((noinline)) void leak_strdup(void) {
  for (int i = 0; i < 2; ++i) sink = strdup("hello");  /* 6 bytes each, through libc */
}

__attribute__((noinline)) void balanced(void) {
  void* q = calloc(1, 64);
  sink = q;
  free(q);
}

__attribute__((noinline)) int map_regions(void) {
  void* a[3];
  for (int i = 0; i < 3; ++i) {
    a[i] = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a[i] == MAP_FAILED) return 1;
  }
  if (munmap(a[0], 8192) != 0 || munmap(a[1], 8192) != 0) return 1;
  const int fd = open("/proc/self/exe", O_RDONLY);
  if (fd < 0) return 1;
  void* f = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  return f == MAP_FAILED;
}

int main(void) {
  leak_calloc();
  leak_realloc();
  leak_aligned();
  leak_strdup();
  balanced();
  if (map_regions() != 0) return 2;
  static const char done[] = "apis done\n";
  return write(1, done, sizeof done - 1) == (ssize_t)(sizeof done - 1) ? 0 : 1;
}
