// Communicators known to the tool: size, our rank, intercommunicator remote size, topology
// out-degree and each peer translated to (world, world rank). Filled when a communicator
// is created (never on the hot path, except once for a communicator created behind our
// back, e.g. by MPI_Comm_idup); a hot-path lookup is a short probe of a fixed table.
#pragma once

#include <mpi.h>

#include <cstdint>

#include "hpcmon/mpi_monitor.hpp"
#include "runtime.hpp"

namespace hpcmon::mpi {

struct CommInfo {
  MPI_Comm comm;         // nullptr: empty slot
  std::int32_t size;     // local group
  std::int32_t rank;     // ours in the local group
  std::int32_t remote_size;  // intercommunicators only, else 0
  std::int32_t outdegree;    // topology communicators, else 0
  bool inter;
  bool identity;         // peer i is world rank i (MPI_COMM_WORLD and its duplicates)
  std::int32_t peers;    // translated peers: remote group of an intercomm, else local group
  std::int32_t pool_offset, pool_capacity;  // into g_peer_pool; capacity kept for reuse
};

inline constexpr std::uint64_t kUnknownPeer = ~std::uint64_t{0};

extern CommInfo g_comms[kCommunicators];
extern std::uint64_t g_peer_pool[kPeerPool];
extern std::int32_t g_world_size, g_world_rank;
extern std::uint64_t g_world_uids[kWorlds];  // [0]: our own MPI_COMM_WORLD
extern std::int32_t g_world_count;

inline std::uint64_t peer_key(std::uint32_t world, std::int32_t rank) {
  return (std::uint64_t{world} << 32) | static_cast<std::uint32_t>(rank);
}

inline std::uint32_t comm_hash(MPI_Comm c) {
  auto v = reinterpret_cast<std::uintptr_t>(c);
  return static_cast<std::uint32_t>((v >> 4) ^ (v >> 13)) & (kCommunicators - 1);
}

// Longest probe of the table: a lookup, even in a full table, costs at most this many slots.
inline constexpr int kCommProbe = 16;

// Cold: registers a communicator met for the first time on a wrapped call (MPI_Comm_idup's
// result...). Tried once per communicator: one that cannot be registered is remembered as
// unknown (a small negative table) and counted once in overflows.
const CommInfo* comm_register_late(MPI_Comm c);

HPCMON_HOT const CommInfo* comm_info(MPI_Comm c) {
  std::uint32_t h = comm_hash(c);
  for (int i = 0; i < kCommProbe; ++i) {
    const CommInfo& e = g_comms[(h + i) & (kCommunicators - 1)];
    if (e.comm == c) return &e;
    if (e.comm == nullptr) break;
  }
  return comm_register_late(c);
}

// Peer `rank` of `c` (remote group for an intercommunicator) as a world key.
HPCMON_HOT std::uint64_t comm_peer(const CommInfo* e, int rank) {
  if (!e || rank < 0 || rank >= e->peers) return kUnknownPeer;
  if (e->identity) return peer_key(0, rank);
  return g_peer_pool[e->pool_offset + rank];
}

// How a new communicator's peers are found.
enum class Origin {
  derived,   // subset/dup of `parent` (intra or inter): group translation
  spawned,   // remote group = a new world; its uid is broadcast from `root` over `parent`
  connected, // MPI_Comm_accept/connect: same as spawned (remote ranks of the remote group)
  joined,    // MPI_Comm_join: a one-process remote world
  parent,    // MPI_Comm_get_parent: the world that spawned us
};

void comm_init_world();  // at MPI_Init, after the world uid is known
void comm_created(MPI_Comm newcomm, MPI_Comm parent, Origin origin, int root = 0);
void comm_intercomm_created(MPI_Comm newcomm, MPI_Comm bridge);
void comm_freed(MPI_Comm c);
std::uint32_t world_index(std::uint64_t uid);  // adds the world if new (kWorlds max)

}  // namespace hpcmon::mpi
