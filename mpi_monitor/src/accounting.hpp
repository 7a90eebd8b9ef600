// Byte accounting of every role of mpi_functions.tsv, exactly as docs/byte-accounting.md
// states it. Called by the generated wrappers between Call::stop() and Call::commit(), so
// its cost is outside the measured time but inside the call. No allocation, no lock.
#pragma once

#include <mpi.h>

#include <cstdint>

#include "comm_cache.hpp"
#include "mpi_api.hpp"
#include "requests.hpp"
#include "runtime.hpp"

namespace hpcmon::mpi {

// count x MPI_Type_size_x, 64-bit. Negative counts or an unusable datatype count 0.
HPCMON_HOT std::uint64_t type_bytes(long long count, MPI_Datatype type) {
  if (count <= 0) return 0;
  MPI_Count size = 0;
  if (g_mpi.Type_size_x(type, &size) != MPI_SUCCESS || size <= 0) return 0;
  return static_cast<std::uint64_t>(count) * static_cast<std::uint64_t>(size);
}

inline std::uint64_t sum_bytes(const int counts[], int n, MPI_Datatype type) {
  if (!counts || n <= 0) return 0;
  long long total = 0;
  for (int i = 0; i < n; ++i) total += counts[i] > 0 ? counts[i] : 0;
  return type_bytes(total, type);
}

inline std::uint64_t sum_bytes_w(const int counts[], const MPI_Datatype types[], int n) {
  if (!counts || !types || n <= 0) return 0;
  std::uint64_t total = 0;
  for (int i = 0; i < n; ++i) total += type_bytes(counts[i], types[i]);
  return total;
}

// Bytes a completed receive delivered, from its status.
HPCMON_HOT std::uint64_t status_bytes(const MPI_Status* s) {
  if (s == nullptr || s->MPI_SOURCE == MPI_PROC_NULL) return 0;
#ifdef OPEN_MPI
  // Open MPI keeps the received byte count in the status (this build is matched against
  // the running library's version at MPI_Init).
  if (s->_cancelled) return 0;
  return static_cast<std::uint64_t>(s->_ucount);
#else
  MPI_Count n = 0;
  return PMPI_Get_elements_x(s, g_mpi.byte, &n) == MPI_SUCCESS && n > 0 ? std::uint64_t(n) : 0;
#endif
}

struct CommView {
  int size, rank, remote, outdegree;
  bool inter;
  const CommInfo* info;  // nullptr for MPI_COMM_WORLD
};

inline CommView comm_view(MPI_Comm c) {
  if (c == g_mpi.comm_world) return CommView{g_world_size, g_world_rank, 0, 0, false, nullptr};
  const CommInfo* e = comm_info(c);
  if (!e) return CommView{0, -1, 0, 0, false, nullptr};
  return CommView{e->size, e->rank, e->remote_size, e->outdegree, e->inter, e};
}

HPCMON_HOT std::uint64_t peer_of(MPI_Comm c, int rank) {
  if (c == g_mpi.comm_world) return rank >= 0 && rank < g_world_size ? peer_key(0, rank) : kUnknownPeer;
  return comm_peer(comm_info(c), rank);
}

HPCMON_HOT void traffic_add(ThreadTables* t, std::uint64_t key, std::uint64_t bytes) {
  if (key == kUnknownPeer) {
    ++t->overflows;
    return;
  }
  constexpr std::uint32_t mask = kTrafficPeers - 1;
  const std::uint64_t k1 = key + 1;
  std::uint32_t h = (static_cast<std::uint32_t>(key) + static_cast<std::uint32_t>(key >> 32) * 7919u) & mask;
  for (int i = 0; i < kTrafficPeers; ++i) {
    TrafficSlot& s = t->traffic[(h + i) & mask];
    if (s.key_plus1 == k1) {
      row_open(s.seq);
      ++s.messages;
      s.bytes += bytes;
      row_close(s.seq);
      return;
    }
    if (s.key_plus1 == 0) {
      row_open(s.seq);
      s.key_plus1 = k1;
      s.messages = 1;
      s.bytes = bytes;
      row_close(s.seq);
      return;
    }
  }
  ++t->overflows;
}

// ---- point-to-point -------------------------------------------------------------------

HPCMON_HOT std::uint64_t acct_send(ThreadTables* t, int count, MPI_Datatype type, int peer, MPI_Comm c) {
  if (peer == MPI_PROC_NULL) return 0;
  std::uint64_t b = type_bytes(count, type);
  traffic_add(t, peer_of(c, peer), b);
  return b;
}

inline void acct_irecv(ThreadTables* t, int rc, int count, MPI_Datatype type, int source, MPI_Request r) {
  if (rc != MPI_SUCCESS || source == MPI_PROC_NULL) return;
  pending_add(t, r, type_bytes(count, type));
}

inline void acct_psend_init(ThreadTables* t, int rc, int count, MPI_Datatype type, int peer, MPI_Comm c,
                            MPI_Request r) {
  if (rc != MPI_SUCCESS) return;
  std::uint64_t key = peer == MPI_PROC_NULL ? kUnknownPeer : peer_of(c, peer);
  std::uint64_t b = peer == MPI_PROC_NULL ? 0 : type_bytes(count, type);
  persistent_add(t, r, b, key == kUnknownPeer ? 0 : key + 1, PersistentKind::send);
}

inline void acct_precv_init(ThreadTables* t, int rc, int count, MPI_Datatype type, int source, MPI_Request r) {
  if (rc != MPI_SUCCESS) return;
  persistent_add(t, r, source == MPI_PROC_NULL ? 0 : type_bytes(count, type), 0, PersistentKind::recv);
}

inline void acct_pcoll_init(ThreadTables* t, int rc, std::uint64_t bytes, MPI_Request r) {
  if (rc != MPI_SUCCESS) return;
  persistent_add(t, r, bytes, 0, PersistentKind::collective);
}

inline std::uint64_t acct_start(ThreadTables* t, MPI_Request r) {
  PersistentSlot* p = slot_find(t->persistent, r);
  if (!p) return 0;
  switch (p->kind) {
    case PersistentKind::send:
      if (p->peer_key_plus1 != 0) traffic_add(t, p->peer_key_plus1 - 1, p->bytes);
      return p->bytes;
    case PersistentKind::recv:
      pending_add(t, r, p->bytes);
      return 0;
    case PersistentKind::collective:
      return p->bytes;
  }
  return 0;
}

inline std::uint64_t acct_startall(ThreadTables* t, int count, MPI_Request reqs[]) {
  std::uint64_t b = 0;
  for (int i = 0; i < count; ++i) b += acct_start(t, reqs[i]);
  return b;
}

// ---- collectives ----------------------------------------------------------------------

// Rooted collectives: which side of the root this rank is on.
enum class RootSide { root, other, none };
inline RootSide root_side(const CommView& v, int root) {
  if (v.inter) return root == MPI_ROOT ? RootSide::root : root == MPI_PROC_NULL ? RootSide::none : RootSide::other;
  return root == v.rank ? RootSide::root : RootSide::other;
}
// Processes a root exchanges data with: the remote group of an intercomm, else the group.
inline int data_peers(const CommView& v) { return v.inter ? v.remote : v.size; }

inline std::uint64_t coll_bcast(int count, MPI_Datatype type, int root, MPI_Comm c) {
  CommView v = comm_view(c);
  return root_side(v, root) == RootSide::none ? 0 : type_bytes(count, type);
}

inline std::uint64_t coll_gather(int scount, MPI_Datatype stype, int rcount, MPI_Datatype rtype, int root,
                                 MPI_Comm c) {
  CommView v = comm_view(c);
  switch (root_side(v, root)) {
    case RootSide::root: return type_bytes(static_cast<long long>(rcount) * data_peers(v), rtype);
    case RootSide::other: return type_bytes(scount, stype);
    case RootSide::none: return 0;
  }
  return 0;
}

inline std::uint64_t coll_gatherv(int scount, MPI_Datatype stype, const int rcounts[], MPI_Datatype rtype,
                                  int root, MPI_Comm c) {
  CommView v = comm_view(c);
  switch (root_side(v, root)) {
    case RootSide::root: return sum_bytes(rcounts, data_peers(v), rtype);
    case RootSide::other: return type_bytes(scount, stype);
    case RootSide::none: return 0;
  }
  return 0;
}

inline std::uint64_t coll_scatter(int scount, MPI_Datatype stype, int rcount, MPI_Datatype rtype, int root,
                                  MPI_Comm c) {
  CommView v = comm_view(c);
  switch (root_side(v, root)) {
    case RootSide::root: return type_bytes(static_cast<long long>(scount) * data_peers(v), stype);
    case RootSide::other: return type_bytes(rcount, rtype);
    case RootSide::none: return 0;
  }
  return 0;
}

inline std::uint64_t coll_scatterv(const int scounts[], MPI_Datatype stype, int rcount, MPI_Datatype rtype,
                                   int root, MPI_Comm c) {
  CommView v = comm_view(c);
  switch (root_side(v, root)) {
    case RootSide::root: return sum_bytes(scounts, data_peers(v), stype);
    case RootSide::other: return type_bytes(rcount, rtype);
    case RootSide::none: return 0;
  }
  return 0;
}

inline std::uint64_t coll_allgather(int rcount, MPI_Datatype rtype, MPI_Comm c) {
  CommView v = comm_view(c);
  return type_bytes(static_cast<long long>(rcount) * data_peers(v), rtype);
}

inline std::uint64_t coll_allgatherv(const int rcounts[], MPI_Datatype rtype, MPI_Comm c) {
  return sum_bytes(rcounts, data_peers(comm_view(c)), rtype);
}

inline std::uint64_t coll_alltoall(const void* sbuf, int scount, MPI_Datatype stype, int rcount,
                                   MPI_Datatype rtype, MPI_Comm c) {
  int n = data_peers(comm_view(c));
  if (sbuf == MPI_IN_PLACE) return type_bytes(static_cast<long long>(rcount) * n, rtype);
  return type_bytes(static_cast<long long>(scount) * n, stype);
}

inline std::uint64_t coll_alltoallv(const void* sbuf, const int scounts[], MPI_Datatype stype,
                                    const int rcounts[], MPI_Datatype rtype, MPI_Comm c) {
  int n = data_peers(comm_view(c));
  if (sbuf == MPI_IN_PLACE) return sum_bytes(rcounts, n, rtype);
  return sum_bytes(scounts, n, stype);
}

inline std::uint64_t coll_alltoallw(const void* sbuf, const int scounts[], const MPI_Datatype stypes[],
                                    const int rcounts[], const MPI_Datatype rtypes[], MPI_Comm c) {
  int n = data_peers(comm_view(c));
  if (sbuf == MPI_IN_PLACE) return sum_bytes_w(rcounts, rtypes, n);
  return sum_bytes_w(scounts, stypes, n);
}

inline std::uint64_t coll_reduce_scatter(const int rcounts[], MPI_Datatype type, MPI_Comm c) {
  return sum_bytes(rcounts, comm_view(c).size, type);
}

inline std::uint64_t coll_reduce_scatter_block(int rcount, MPI_Datatype type, MPI_Comm c) {
  return type_bytes(static_cast<long long>(rcount) * comm_view(c).size, type);
}

inline std::uint64_t coll_neighbor(int scount, MPI_Datatype stype, MPI_Comm c) {
  return type_bytes(static_cast<long long>(scount) * comm_view(c).outdegree, stype);
}

inline std::uint64_t coll_neighbor_v(const int scounts[], MPI_Datatype stype, MPI_Comm c) {
  return sum_bytes(scounts, comm_view(c).outdegree, stype);
}

inline std::uint64_t coll_neighbor_w(const int scounts[], const MPI_Datatype stypes[], MPI_Comm c) {
  return sum_bytes_w(scounts, stypes, comm_view(c).outdegree);
}

}  // namespace hpcmon::mpi
