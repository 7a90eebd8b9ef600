// Per-thread fixed tables of requests: receives in flight (their bytes are counted from the
// status when a Wait/Test completes them) and persistent requests (counted at MPI_Start).
// Open addressing with backward-shift deletion, so no tombstones build up. Every entry lies
// within kRequestProbe slots of its home, so a lookup, insert or erase touches at most that
// many slots however full the table is (a request that finds no slot counts one overflow).
// Every wrapper that returns a new request forgets that handle first (request_created), so
// an entry left behind (a receive completed on another thread, or beyond the first
// RxSet::kTracked requests of one call) can never be matched by a later, unrelated request
// that MPI gave the same handle.
#pragma once

#include <mpi.h>

#include <cstdint>

#include "mpi_api.hpp"
#include "runtime.hpp"

namespace hpcmon::mpi {

inline std::uint32_t request_hash(MPI_Request r, int capacity) {
  auto v = reinterpret_cast<std::uintptr_t>(r);
  return static_cast<std::uint32_t>((v >> 6) ^ (v >> 17)) & static_cast<std::uint32_t>(capacity - 1);
}

inline constexpr int kRequestProbe = 32;

template <class Slot, int N>
inline Slot* slot_find(Slot (&table)[N], MPI_Request r) {
  std::uint32_t h = request_hash(r, N);
  for (int i = 0; i < kRequestProbe; ++i) {
    Slot& s = table[(h + i) & (N - 1)];
    if (s.request == r) return &s;
    if (s.request == nullptr) return nullptr;
  }
  return nullptr;
}

template <class Slot, int N>
inline Slot* slot_insert(Slot (&table)[N], MPI_Request r) {
  std::uint32_t h = request_hash(r, N);
  for (int i = 0; i < kRequestProbe; ++i) {
    Slot& s = table[(h + i) & (N - 1)];
    if (s.request == nullptr || s.request == r) return &s;
  }
  return nullptr;
}

template <class Slot, int N>
inline void slot_erase(Slot (&table)[N], Slot* victim) {
  auto i = static_cast<std::uint32_t>(victim - table);
  std::uint32_t j = i;
  constexpr std::uint32_t mask = N - 1;
  for (;;) {
    j = (j + 1) & mask;
    if (table[j].request == nullptr) break;
    // An entry kRequestProbe or more past the hole lives within that distance of its home,
    // so its home is past the hole: it and everything beyond stay where they are.
    if (((j - i) & mask) >= static_cast<std::uint32_t>(kRequestProbe)) break;
    std::uint32_t home = request_hash(table[j].request, N);
    // Move j back to i unless its home lies cyclically in (i, j].
    bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
    if (!stays) {
      table[i] = table[j];
      i = j;
    }
  }
  table[i] = Slot{};
}

inline void pending_add(ThreadTables* t, MPI_Request r, std::uint64_t posted) {
  if (r == nullptr || r == g_mpi.request_null) return;
  PendingSlot* s = slot_insert(t->pending, r);
  if (!s) {
    ++t->overflows;
    return;
  }
  if (s->request == nullptr) ++t->pending_used;
  s->request = r;
  s->posted_bytes = posted;
}

HPCMON_HOT bool pending_take(ThreadTables* t, MPI_Request r, std::uint64_t* posted) {
  if (HPCMON_LIKELY(t->pending_used == 0)) return false;
  PendingSlot* s = slot_find(t->pending, r);
  if (!s) return false;
  *posted = s->posted_bytes;
  slot_erase(t->pending, s);
  --t->pending_used;
  return true;
}

inline void persistent_add(ThreadTables* t, MPI_Request r, std::uint64_t bytes, std::uint64_t peer_plus1,
                           PersistentKind kind) {
  PersistentSlot* s = slot_insert(t->persistent, r);
  if (!s) {
    ++t->overflows;
    return;
  }
  *s = PersistentSlot{r, bytes, peer_plus1, kind};
}

// A wrapper returned the new request `r`: whatever an older request with the same handle
// left in this thread's tables is stale.
HPCMON_HOT void request_created(ThreadTables* t, int rc, MPI_Request r) {
  if (rc != MPI_SUCCESS) return;
  std::uint64_t unused;
  pending_take(t, r, &unused);
}

inline void request_forget(ThreadTables* t, MPI_Request r) {
  std::uint64_t unused;
  pending_take(t, r, &unused);
  if (PersistentSlot* s = slot_find(t->persistent, r)) slot_erase(t->persistent, s);
}

}  // namespace hpcmon::mpi
