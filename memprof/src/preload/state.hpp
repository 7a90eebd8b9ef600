// The preload's process-wide state: the real allocator entry points, per-thread counters, the
// sharded live-block table, the lock-free call-site table and the live-bytes series.
// Everything here is reached from inside malloc: no allocation, no global lock, no libstdc++.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "hpcmon/memprof.hpp"

namespace hpcmon::mem {

// ---- real functions (dlsym(RTLD_NEXT)), resolved at the first call ----
struct RealFunctions {
  void* (*malloc)(size_t) = nullptr;
  void (*free)(void*) = nullptr;
  void* (*calloc)(size_t, size_t) = nullptr;
  void* (*realloc)(void*, size_t) = nullptr;
  int (*posix_memalign)(void**, size_t, size_t) = nullptr;
  void* (*aligned_alloc)(size_t, size_t) = nullptr;
  void* (*memalign)(size_t, size_t) = nullptr;
  void* (*valloc)(size_t) = nullptr;
  void* (*pvalloc)(size_t) = nullptr;
  size_t (*malloc_usable_size)(void*) = nullptr;
  void* (*mmap)(void*, size_t, int, int, int, off_t) = nullptr;
  int (*munmap)(void*, size_t) = nullptr;
};
extern RealFunctions real;
// False until every real function is known; while resolving, allocations come from the arena.
bool real_functions_ready();
void resolve_real_functions();

// ---- bootstrap arena: allocations made while dlsym resolves the real functions ----
void* arena_alloc(size_t size, size_t alignment, bool zero);
bool in_arena(const void* p);
size_t arena_block_size(const void* p);
extern std::atomic<uint64_t> arena_allocations;

// ---- per-thread counters: written only by their thread (relaxed load+store, no lock prefix);
// threads beyond kThreadSlots share the last slot, updated with atomic read-modify-write ----
struct ThreadStats {
  std::atomic<uint64_t> calls[static_cast<int>(Fn::count)];
  std::atomic<uint64_t> allocs, alloc_bytes, frees, freed_bytes;
  std::atomic<uint64_t> class_count[kSizeClasses], class_bytes[kSizeClasses];
  std::atomic<uint64_t> mmap_bytes, mmap_anon_bytes, munmap_bytes;
  int64_t pending_live;       // not yet folded into the global live counter (owner only)
  uint32_t ops_since_check;   // owner only
  bool shared;                // the overflow slot
};
ThreadStats& thread_stats();
extern ThreadStats thread_slots[kThreadSlots];
extern std::atomic<int> thread_slots_used;

inline void bump(ThreadStats& t, std::atomic<uint64_t>& counter, uint64_t by) {
  if (t.shared) counter.fetch_add(by, std::memory_order_relaxed);
  else counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

int size_class(uint64_t size);

// ---- configuration (environment, read once) ----
struct Settings {
  int depth = kDefaultDepth;
  uint64_t sample_interval_ns = 100'000'000;
  uint64_t max_blocks = kDefaultMaxBlocks;
};
extern Settings settings;
// True once tables and settings are ready; before that calls are forwarded and counted only.
bool tracking_ready();
void initialize_tracking();

// Per-thread reentrancy depth: nonzero while the preload itself runs (the unwinder or the
// tables may call malloc; those calls are forwarded untracked).
extern __thread int reentry_depth __attribute__((tls_model("initial-exec")));
struct ReentryGuard {
  ReentryGuard() { ++reentry_depth; }
  ~ReentryGuard() { --reentry_depth; }
  ReentryGuard(const ReentryGuard&) = delete;
  ReentryGuard& operator=(const ReentryGuard&) = delete;
};

// ---- live blocks: sharded open-addressing table, a spin lock per shard ----
struct BlockInfo {
  uint64_t size = 0;
  uint32_t site = 0;
};
bool blocks_insert(uintptr_t ptr, BlockInfo info);  // false: table full (block untracked)
bool blocks_remove(uintptr_t ptr, BlockInfo* info);  // false: not tracked
template <class Visit> void blocks_for_each(Visit&& visit);
void blocks_lock_all();    // fork: no shard lock may be held by a thread that will not exist
void blocks_unlock_all();
extern std::atomic<uint64_t> untracked_blocks;
extern std::atomic<uint64_t> untracked_frees;

// ---- call sites: stacks captured with the unwinder, deduplicated lock-free ----
struct Site {
  std::atomic<uint64_t> hash;   // the stack's hash; 0: entry not in use
  uint32_t depth;
  uint32_t epoch;  // unload_epoch when the stack was captured
  uintptr_t frames[kMaxDepth];
  std::atomic<uint64_t> allocs, bytes;
  uint64_t leak_count, leak_bytes;  // filled at exit
};
// Site of the current call (0: no stack, or the table is full).
uint32_t capture_site(uint64_t size);
void initialize_sites();
void load_fast_unwinder();  // at start-up, outside any allocation
Site* site_table();
// Sites in use have ids 1 .. site_count() - 1 (a hash of 0 marks an entry left unused).
uint32_t site_count();
extern std::atomic<uint64_t> sites_dropped;

// ---- live bytes: exact sums at sample time, peak from per-thread deltas folded in batches ----
void note_live_delta(ThreadStats& t, int64_t delta);
int64_t live_bytes_now();  // sum over thread slots
extern std::atomic<int64_t> peak_live_bytes;
void maybe_sample(ThreadStats& t);
void sample_now();
struct SeriesPoint { uint64_t t_ns; int64_t live; uint64_t rss; };
int series_snapshot(SeriesPoint* out, int max);
extern uint64_t start_realtime_ns;

uint64_t monotonic_ns();
uint64_t realtime_ns();
uint64_t read_rss_bytes();

// ---- objects unloaded before exit (dlclose), for symbolisation ----
inline constexpr int kUnloadedObjects = 512;
struct UnloadedObject {
  uint32_t epoch;  // unloads so far, this one included: sites of earlier epochs may point into it
  uintptr_t base;  // link_map l_addr: load bias
  char path[256];
};
extern UnloadedObject unloaded_objects[kUnloadedObjects];
extern std::atomic<int> unloaded_count;
extern std::atomic<uint32_t> unload_epoch;

// ---- exit ----
void write_profile();
// _exit/_Exit and fatal-signal handlers (exit_paths.cpp); installed at start-up.
void install_exit_paths();
void write_profile_before_exit();

}  // namespace hpcmon::mem

#include "blocks_impl.hpp"
