#include "runtime.hpp"

#include "live_table_writer.hpp"
#include "mpi_api.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>

namespace hpcmon::mpi {

namespace {
ThreadTables g_private_tables[kMaxThreads];
}
ThreadTables* g_tables = g_private_tables;
__thread ThreadState t_state HPCMON_TLS;
bool g_recording = false;
std::atomic<std::uint64_t> g_untracked{0};
void* g_next[kFunctionCount];

namespace {
std::atomic<std::uint32_t> g_slots_claimed{0};
}

ThreadTables* claim_thread_slot() {
  std::uint32_t slot = g_slots_claimed.fetch_add(1, std::memory_order_relaxed);
  if (slot >= static_cast<std::uint32_t>(kMaxThreads)) {
    t_state.slot_plus1 = kMaxThreads + 1;
    return nullptr;
  }
  t_state.slot_plus1 = slot + 1;
  live_note_thread_claimed(slot + 1);
  return &g_tables[slot];
}

std::uint32_t thread_slots_claimed() {
  std::uint32_t n = g_slots_claimed.load(std::memory_order_relaxed);
  return n < static_cast<std::uint32_t>(kMaxThreads) ? n : static_cast<std::uint32_t>(kMaxThreads);
}

void* resolve_next(Fn fn) {
  const char* name = kFunctionNames[fn];
  void* p = next_mpi_symbol(name);
  if (!p) {
    // Nothing after us defines it (the program links an MPI that lacks it): its PMPI_ twin.
    char pname[96];
    std::snprintf(pname, sizeof pname, "P%s", name);
    p = mpi_symbol(pname);
  }
  if (!p) {
    char line[160];
    int n = std::snprintf(line, sizeof line, "hpcmon: %s called but no MPI library defines it\n", name);
    if (n > 0) (void)!write(2, line, static_cast<size_t>(n));
    _exit(127);
  }
  __atomic_store_n(&g_next[fn], p, __ATOMIC_RELAXED);
  return p;
}

void resolve_all_next() {
  for (int i = 0; i < kFunctionCount; ++i) {
    if (void* p = next_mpi_symbol(kFunctionNames[i])) g_next[i] = p;
  }
}

}  // namespace hpcmon::mpi
