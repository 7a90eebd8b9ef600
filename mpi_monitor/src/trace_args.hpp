// What a traced event says about its call's arguments (docs/tracing.md): the peer as a world
// rank, the tag and a communicator id. Called by the generated wrappers only while tracing;
// looks communicators up without registering them (no MPI call, no allocation).
#pragma once

#include <mpi.h>

#include <cstdint>

#include "comm_cache.hpp"
#include "mpi_api.hpp"
#include "trace.hpp"

namespace hpcmon::mpi {

inline const CommInfo* trace_comm_info(MPI_Comm c) {
  std::uint32_t h = comm_hash(c);
  for (int i = 0; i < kCommProbe; ++i) {
    const CommInfo& e = g_comms[(h + i) & (kCommunicators - 1)];
    if (e.comm == c) return &e;
    if (e.comm == nullptr) break;
  }
  return nullptr;
}

inline std::uint32_t trace_comm(MPI_Comm c) {
  if (c == g_mpi.comm_world) return 0;
  const CommInfo* e = trace_comm_info(c);
  return e ? std::uint32_t(e - g_comms) + 1 : kTraceNoComm;
}

// `rank` of `c` as a rank of our MPI_COMM_WORLD; -1 for MPI_ANY_SOURCE, MPI_PROC_NULL,
// MPI_ROOT, an unknown communicator or a rank of another world.
inline std::int32_t trace_peer(MPI_Comm c, int rank) {
  if (rank < 0) return -1;
  if (c == g_mpi.comm_world) return rank < g_world_size ? rank : -1;
  const std::uint64_t key = comm_peer(trace_comm_info(c), rank);
  return key != kUnknownPeer && (key >> 32) == 0 ? std::int32_t(std::uint32_t(key)) : -1;
}

// A completed receive: the status names the actual source and tag.
inline std::int32_t trace_status_peer(MPI_Comm c, int rc, const MPI_Status* st, int posted) {
  return trace_peer(c, rc == MPI_SUCCESS && st->MPI_SOURCE >= 0 ? st->MPI_SOURCE : posted);
}
inline std::int32_t trace_status_tag(int rc, const MPI_Status* st, int posted) {
  return rc == MPI_SUCCESS && st->MPI_SOURCE >= 0 ? st->MPI_TAG : posted;
}

}  // namespace hpcmon::mpi
