/* Cost of one 8-frame stack capture at call depth 12: libgcc's _Unwind_Backtrace (what
   libhpcmon_mem.so uses) against libunwind's unw_backtrace fast path. For bench/memprof_bench.sh.
   Build: cc -O2 memprof_bench_unwind.c -lunwind -o memprof_bench_unwind */
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unwind.h>

enum { kFrames = 8, kCaptures = 200000 };
struct capture { uintptr_t frames[kFrames]; int n; };

static _Unwind_Reason_Code on_frame(struct _Unwind_Context* ctx, void* arg) {
  struct capture* c = arg;
  c->frames[c->n++] = _Unwind_GetIP(ctx);
  return c->n >= kFrames ? _URC_END_OF_STACK : _URC_NO_REASON;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static volatile uintptr_t sink;

__attribute__((noinline)) static void measure(int use_libunwind) {
  const double t0 = now();
  for (int i = 0; i < kCaptures; ++i) {
    if (use_libunwind) {
      void* frames[kFrames];
      sink = (uintptr_t)unw_backtrace(frames, kFrames);
    } else {
      struct capture c = {.n = 0};
      _Unwind_Backtrace(on_frame, &c);
      sink = c.frames[c.n - 1];
    }
  }
  printf("%s_ns_per_capture %.1f\n", use_libunwind ? "libunwind" : "libgcc", (now() - t0) / kCaptures);
}

__attribute__((noinline)) static void nest(int depth, int use_libunwind) {
  if (depth == 0) measure(use_libunwind);
  else nest(depth - 1, use_libunwind);
  sink += (uintptr_t)depth;
}

int main(void) {
  nest(12, 0);
  nest(12, 1);
  nest(12, 0);
  nest(12, 1);
  return 0;
}
