/* Allocation-heavy loop for bench/memprof_bench.sh: PAIRS malloc/free pairs of sizes 16..1039
   bytes, reached through a few call levels (as in real code), with up to 64 blocks live at once.
   Prints "ns_per_pair <value>". Usage: memprof_bench_alloc [pairs (default 2000000)] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void* volatile sink;

__attribute__((noinline)) static void* allocate(size_t size) { return malloc(size); }
__attribute__((noinline)) static void* level2(size_t size) { return allocate(size); }
__attribute__((noinline)) static void* level1(size_t size) { return level2(size); }

int main(int argc, char** argv) {
  const long pairs = argc > 1 ? atol(argv[1]) : 2000000;
  void* live[64] = {0};
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < pairs; ++i) {
    const int slot = (int)(i & 63);
    free(live[slot]);
    live[slot] = level1(16 + (size_t)((i * 7919) & 1023));
    sink = live[slot];
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  for (int i = 0; i < 64; ++i) free(live[i]);
  const double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
  printf("ns_per_pair %.1f\n", ns / (double)pairs);
  return 0;
}
