// hpcmon memprof: libhpcmon_mem.so, a memory profiler preloaded only when a job asks for it.
//
// What it is: an LD_PRELOAD library that interposes malloc, free, calloc, realloc,
// posix_memalign, aligned_alloc, memalign, valloc, pvalloc, malloc_usable_size, mmap and munmap,
// forwards each call to the next definition (dlsym(RTLD_NEXT)) and counts it: allocations and
// bytes by log2 size class, live bytes sampled over time (bounded series), peak live bytes, RSS
// against live bytes, and the call stack of every live block, so that blocks never freed at exit
// are attributed to call sites. At process exit (a late destructor; no MPI needed) it writes one
// small text profile per process (docs/memory-profiling.md) into HPCMON_RUN_DIR, else
// HPCMON_OUTPUT_DIR, else /tmp/hpcmon-mem-<uid> (0700, owner checked).
// The offline side (library hpcmon_mem_report, `hpcmon memprof FILE...`) reads profiles,
// symbolises the stacks with elfutils against the load bases the profile saved from
// /proc/self/maps, and decides which frames are the user's (hpcmon/memprof_report.hpp).
// What it owns: the profile text format and docs/memory-profiling.md.
// What it must never do: take a global lock on the allocation path (per-thread counters; the
// live-block table is sharded, the call-site table lock-free); allocate through the functions it
// interposes (its own tables are mmap'ed by system call); print anything unless a profile cannot
// be written; link more than libc, libdl and libgcc_s (the unwinder); use HDF5 or libstdc++.
// It is a guest in every process of a job: shells, srun, python and Open MPI included.
//
// Environment (read once, at the first allocation):
//   HPCMON_RUN_DIR / HPCMON_OUTPUT_DIR  where the profile goes (see above)
//   HPCMON_MEM_DEPTH       frames kept per call stack (default 8, 0..16; 0: no leak sites)
//   HPCMON_MEM_SAMPLE_MS   live-bytes sampling interval in ms (default 100; the series keeps at
//                          most kSeriesPoints points, halving its resolution when full)
//   HPCMON_MEM_MAX_BLOCKS  live blocks tracked at once (default 4194304); blocks beyond are
//                          counted as untracked and the profile is flagged partial
#pragma once

#include <cstddef>
#include <cstdint>

namespace hpcmon::mem {

inline constexpr int kSizeClasses = 64;           // class k: sizes in [2^k, 2^(k+1)); 0 and 1 in class 0
inline constexpr int kMaxDepth = 16;              // frames per stack, at most
inline constexpr int kDefaultDepth = 8;
inline constexpr std::size_t kSiteCapacity = 1u << 16;   // distinct call stacks
inline constexpr int kSeriesPoints = 256;         // live-bytes samples kept
inline constexpr int kThreadSlots = 1024;         // threads with counters of their own
inline constexpr int kBlockShards = 256;          // live-block table shards
inline constexpr std::size_t kDefaultMaxBlocks = 4u << 20;
inline constexpr int kTopAllocationSites = 32;    // sites written besides the leaking ones

// Interposed functions, in the order of the profile's `call` lines.
enum class Fn : int {
  malloc, calloc, realloc, free, posix_memalign, aligned_alloc, memalign, valloc, pvalloc,
  mmap, munmap, count
};
inline constexpr const char* kFnNames[] = {
  "malloc", "calloc", "realloc", "free", "posix_memalign", "aligned_alloc", "memalign", "valloc",
  "pvalloc", "mmap", "munmap"};

inline constexpr const char* kProfileMagic = "hpcmon-memprof";
inline constexpr int kProfileVersion = 1;

}  // namespace hpcmon::mem
