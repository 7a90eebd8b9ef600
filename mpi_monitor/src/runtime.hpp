// Per-rank live tables and the hot-path call scope. Everything here is fixed-size static
// storage (untouched pages stay out of the rank's memory), reached through an initial-exec
// thread-local slot index: a wrapped call does no allocation, lock or system call.
#pragma once

#include <mpi.h>
#include <x86intrin.h>

#include <atomic>
#include <cstdint>

#include "clock.hpp"
#include "function_ids.hpp"  // generated: enum Fn, kFunctionCount, kFunctionNames
#include "hpcmon/mpi_monitor.hpp"
#include "hpcmon/record.hpp"
#include "trace.hpp"

#define HPCMON_TLS __attribute__((tls_model("initial-exec")))
#define HPCMON_LIKELY(x) __builtin_expect(!!(x), 1)
#define HPCMON_UNLIKELY(x) __builtin_expect(!!(x), 0)
// Hot-path helpers: one file holds ~370 wrappers, past GCC's inlining budget, so force it.
#define HPCMON_HOT inline __attribute__((always_inline))

namespace hpcmon::mpi {

inline constexpr int kSizeBins = record::kSizeBins;

// Rows live in the rank's live table (live_table_writer.hpp): `seq` is odd while the owning
// thread updates the row, so a reader in another process can tell a torn copy (seqlock).
struct FnStats {
  std::uint64_t seq;
  std::uint64_t calls, bytes, errors, ticks, min_ticks, max_ticks;
  std::uint64_t hist[kSizeBins];
};

// A peer: (world index << 32) | world rank; world index 0 is our own MPI_COMM_WORLD,
// others index g_world_uids. Stored +1 so that 0 marks an empty slot.
struct TrafficSlot {
  std::uint64_t seq, key_plus1, messages, bytes;
};

// A receive request in flight: completion calls count its bytes from the status.
struct PendingSlot {
  MPI_Request request;  // nullptr: empty (deletion shifts entries back: no tombstones)
  std::uint64_t posted_bytes;
};

// A persistent request, counted at MPI_Start.
enum class PersistentKind : std::uint32_t { send, recv, collective };
struct PersistentSlot {
  MPI_Request request;
  std::uint64_t bytes;
  std::uint64_t peer_key_plus1;  // send: the peer; 0 = MPI_PROC_NULL or unknown
  PersistentKind kind;
};

struct ThreadTables {
  FnStats fn[kFunctionCount];
  TrafficSlot traffic[kTrafficPeers];
  PendingSlot pending[kPendingRequests];
  PersistentSlot persistent[kPersistentRequests];
  std::uint64_t pending_used;   // live entries, to skip lookups when no receive is pending
  std::uint64_t ticks_in_mpi;   // timed calls only (followed by overflows: the live tally)
  std::uint64_t overflows;      // calls or peers that did not fit
};

struct ThreadState {
  std::uint32_t depth;       // reentrancy guard: >0 while inside one of our wrappers
  std::uint32_t slot_plus1;  // 0: not yet claimed; kMaxThreads+1: no slot left
};

// kMaxThreads blocks: the thread blocks of the live-table mapping once MPI_Init set it up,
// else private static storage.
extern ThreadTables* g_tables;
extern __thread ThreadState t_state HPCMON_TLS;
extern bool g_recording;                        // active and MPI_Pcontrol level > 0
extern std::atomic<std::uint64_t> g_untracked;  // calls of threads beyond kMaxThreads

ThreadTables* claim_thread_slot();  // cold: first call of a thread
std::uint32_t thread_slots_claimed();  // thread blocks in use, <= kMaxThreads

HPCMON_HOT ThreadTables* thread_tables() {
  std::uint32_t s = t_state.slot_plus1;
  if (HPCMON_LIKELY(s != 0 && s <= static_cast<std::uint32_t>(kMaxThreads))) return &g_tables[s - 1];
  if (s == 0) return claim_thread_slot();
  return nullptr;
}

// Seqlock writer side of one row (single writer: the thread that owns the block). x86-64
// keeps stores in order, so the fences cost nothing there but keep the compiler honest.
HPCMON_HOT void row_open(std::uint64_t& seq) {
  __atomic_store_n(&seq, seq + 1, __ATOMIC_RELAXED);
  __atomic_thread_fence(__ATOMIC_RELEASE);
}
HPCMON_HOT void row_close(std::uint64_t& seq) { __atomic_store_n(&seq, seq + 1, __ATOMIC_RELEASE); }

HPCMON_HOT int size_bin(std::uint64_t bytes) {
  if (bytes == 0) return 0;
  int k = 64 - __builtin_clzll(bytes);
  return k < kSizeBins - 1 ? k : kSizeBins - 1;
}

// One wrapped call. begin() false: forward only (inert, paused by MPI_Pcontrol(0), nested
// inside another wrapper, or a thread without a slot).
class Call {
 public:
  HPCMON_HOT bool begin(Fn fn) {
    if (HPCMON_UNLIKELY(!g_recording)) return false;
    ThreadState& s = t_state;
    if (HPCMON_UNLIKELY(s.depth != 0)) return false;
    tables_ = thread_tables();
    if (HPCMON_UNLIKELY(!tables_)) {
      g_untracked.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    s.depth = 1;
    fn_ = fn;
    t0_ = read_ticks();
    return true;
  }
  // Polling calls: counted, not timed.
  HPCMON_HOT bool begin_poll(Fn fn) {
    if (HPCMON_UNLIKELY(!g_recording)) return false;
    ThreadState& s = t_state;
    if (HPCMON_UNLIKELY(s.depth != 0)) return false;
    tables_ = thread_tables();
    if (HPCMON_UNLIKELY(!tables_)) {
      g_untracked.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    s.depth = 1;
    fn_ = fn;
    return true;
  }
  HPCMON_HOT void stop() { t1_ = read_ticks(); }
  HPCMON_HOT void commit(int rc, std::uint64_t bytes) {
    std::uint64_t dt = t1_ - t0_;
    FnStats& f = tables_->fn[fn_];
    row_open(f.seq);
    ++f.calls;
    f.bytes += bytes;
    f.errors += (rc != MPI_SUCCESS);
    f.ticks += dt;
    if (dt < f.min_ticks || f.calls == 1) f.min_ticks = dt;
    if (dt > f.max_ticks) f.max_ticks = dt;
    ++f.hist[size_bin(bytes)];
    row_close(f.seq);
    tables_->ticks_in_mpi += dt;
    t_state.depth = 0;
  }
  HPCMON_HOT void commit_poll(int rc, std::uint64_t bytes) {
    FnStats& f = tables_->fn[fn_];
    row_open(f.seq);
    ++f.calls;
    f.bytes += bytes;
    f.errors += (rc != MPI_SUCCESS);
    ++f.hist[size_bin(bytes)];
    row_close(f.seq);
    t_state.depth = 0;
  }
  // Tracing on (g_tracing): one event of this call, before commit().
  HPCMON_HOT void trace(std::uint64_t bytes, std::int32_t peer, std::int32_t tag, std::uint32_t comm) {
    trace_add(std::uint16_t(fn_), t0_, t1_, bytes, peer, tag, comm, t_state.slot_plus1 - 1);
  }
  ThreadTables* tables() const { return tables_; }

 private:
  ThreadTables* tables_ = nullptr;
  Fn fn_ = Fn{};
  std::uint64_t t0_ = 0, t1_ = 0;
};

// Next definition of each wrapped MPI function (dlsym RTLD_NEXT), filled at MPI_Init; a
// call before MPI_Init (MPI_Initialized, MPI_Get_version...) resolves its own entry.
extern void* g_next[kFunctionCount];
void* resolve_next(Fn fn);
HPCMON_HOT void* next_fn(Fn fn) {
  void* p = g_next[fn];
  return HPCMON_LIKELY(p != nullptr) ? p : resolve_next(fn);
}
void resolve_all_next();

}  // namespace hpcmon::mpi
