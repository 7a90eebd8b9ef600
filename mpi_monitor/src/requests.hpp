// Per-thread fixed tables of requests: receives in flight (their bytes are counted from the
// status when a Wait/Test completes them) and persistent requests (counted at MPI_Start).
// Open addressing with backward-shift deletion, so no tombstones build up.
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

template <class Slot, int N>
inline Slot* slot_find(Slot (&table)[N], MPI_Request r) {
  std::uint32_t h = request_hash(r, N);
  for (int i = 0; i < N; ++i) {
    Slot& s = table[(h + i) & (N - 1)];
    if (s.request == r) return &s;
    if (s.request == nullptr) return nullptr;
  }
  return nullptr;
}

template <class Slot, int N>
inline Slot* slot_insert(Slot (&table)[N], MPI_Request r) {
  std::uint32_t h = request_hash(r, N);
  for (int i = 0; i < N; ++i) {
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

inline void request_forget(ThreadTables* t, MPI_Request r) {
  std::uint64_t unused;
  pending_take(t, r, &unused);
  if (PersistentSlot* s = slot_find(t->persistent, r)) slot_erase(t->persistent, s);
}

}  // namespace hpcmon::mpi
