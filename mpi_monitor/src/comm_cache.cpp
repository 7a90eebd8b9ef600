#include "comm_cache.hpp"

#include <unistd.h>
#include <x86intrin.h>

#include <atomic>
#include <vector>

#include "mpi_api.hpp"
#include "runtime.hpp"

namespace hpcmon::mpi {

CommInfo g_comms[kCommunicators];
std::uint64_t g_peer_pool[kPeerPool];
std::int32_t g_world_size = 0, g_world_rank = 0;
std::uint64_t g_world_uids[kWorlds];
std::int32_t g_world_count = 1;

namespace {

const auto kTombstone = reinterpret_cast<MPI_Comm>(std::uintptr_t{1});
std::atomic_flag g_registering = ATOMIC_FLAG_INIT;  // comm creation only, never the hot path
std::int32_t g_pool_used = 0;
struct FreeBlock {
  std::int32_t offset, capacity;
};
FreeBlock g_free_blocks[kCommunicators];
int g_free_count = 0;
MPI_Group g_world_group = nullptr;

class RegistrationLock {
 public:
  RegistrationLock() {
    while (g_registering.test_and_set(std::memory_order_acquire)) {
    }
  }
  ~RegistrationLock() { g_registering.clear(std::memory_order_release); }
};

std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb3f97f4a7c15ULL;
  return x ^ (x >> 33);
}

// Pool block for n peers: a freed block large enough, else fresh pool space.
bool allocate_block(std::int32_t n, std::int32_t* offset, std::int32_t* capacity) {
  for (int i = 0; i < g_free_count; ++i) {
    if (g_free_blocks[i].capacity >= n) {
      *offset = g_free_blocks[i].offset;
      *capacity = g_free_blocks[i].capacity;
      g_free_blocks[i] = g_free_blocks[--g_free_count];
      return true;
    }
  }
  if (g_pool_used + n > kPeerPool) return false;
  *offset = g_pool_used;
  *capacity = n;
  g_pool_used += n;
  return true;
}

CommInfo* free_slot_for(MPI_Comm c) {
  std::uint32_t h = comm_hash(c);
  for (int i = 0; i < kCommunicators; ++i) {
    CommInfo& e = g_comms[(h + i) & (kCommunicators - 1)];
    if (e.comm == nullptr || e.comm == kTombstone || e.comm == c) return &e;
  }
  return nullptr;
}

CommInfo* find_slot(MPI_Comm c) {
  std::uint32_t h = comm_hash(c);
  for (int i = 0; i < kCommunicators; ++i) {
    CommInfo& e = g_comms[(h + i) & (kCommunicators - 1)];
    if (e.comm == c) return &e;
    if (e.comm == nullptr) return nullptr;
  }
  return nullptr;
}

int topology_outdegree(MPI_Comm c, int rank) {
  int kind = MPI_UNDEFINED;
  if (g_mpi.Topo_test(c, &kind) != MPI_SUCCESS) return 0;
  int n = 0;
  if (kind == MPI_CART) {
    g_mpi.Cartdim_get(c, &n);
    return 2 * n;
  }
  if (kind == MPI_GRAPH) {
    g_mpi.Graph_neighbors_count(c, rank, &n);
    return n;
  }
  if (kind == MPI_DIST_GRAPH) {
    int in = 0, weighted = 0;
    g_mpi.Dist_graph_neighbors_count(c, &in, &n, &weighted);
    return n;
  }
  return 0;
}

// Translates every rank of `group` into `target`; MPI_UNDEFINED where absent.
std::vector<int> translate(MPI_Group group, int n, MPI_Group target) {
  std::vector<int> from(static_cast<size_t>(n)), to(static_cast<size_t>(n), MPI_UNDEFINED);
  for (int i = 0; i < n; ++i) from[static_cast<size_t>(i)] = i;
  if (n > 0) g_mpi.Group_translate_ranks(group, n, from.data(), target, to.data());
  return to;
}

// Fills peers of a new communicator; `uid_for_unknown` names the world of peers that are
// in neither our world nor the parent (0: leave them unknown).
void register_comm(MPI_Comm c, MPI_Comm parent, std::uint64_t uid_for_unknown) {
  if (c == nullptr || c == g_mpi.comm_world || c == g_mpi.comm_null) return;
  int inter = 0, size = 0, rank = 0, remote = 0;
  if (g_mpi.Comm_test_inter(c, &inter) != MPI_SUCCESS) return;
  g_mpi.Comm_size(c, &size);
  g_mpi.Comm_rank(c, &rank);
  if (inter) g_mpi.Comm_remote_size(c, &remote);
  MPI_Group group = nullptr;
  (inter ? g_mpi.Comm_remote_group : g_mpi.Comm_group)(c, &group);
  const int n = inter ? remote : size;
  std::vector<std::uint64_t> keys(static_cast<size_t>(n), kUnknownPeer);
  std::vector<int> in_world = translate(group, n, g_world_group);
  bool identity = !inter && n == g_world_size;
  bool missing = false;
  for (int i = 0; i < n; ++i) {
    int w = in_world[static_cast<size_t>(i)];
    if (w != MPI_UNDEFINED) keys[static_cast<size_t>(i)] = peer_key(0, w);
    else missing = true;
    identity = identity && w == i;
  }
  if (missing && parent != nullptr) {
    // Peers outside our world: look them up through the parent's translated peers.
    if (const CommInfo* pe = find_slot(parent); pe && !pe->identity) {
      MPI_Group pgroup = nullptr;
      (pe->inter ? g_mpi.Comm_remote_group : g_mpi.Comm_group)(parent, &pgroup);
      std::vector<int> in_parent = translate(group, n, pgroup);
      for (int i = 0; i < n; ++i) {
        int p = in_parent[static_cast<size_t>(i)];
        if (keys[static_cast<size_t>(i)] == kUnknownPeer && p != MPI_UNDEFINED)
          keys[static_cast<size_t>(i)] = comm_peer(pe, p);
      }
      g_mpi.Group_free(&pgroup);
    }
  }
  if (uid_for_unknown != 0) {
    std::uint32_t w = world_index(uid_for_unknown);
    for (int i = 0; i < n; ++i)
      if (keys[static_cast<size_t>(i)] == kUnknownPeer && w != 0) keys[static_cast<size_t>(i)] = peer_key(w, i);
  }
  g_mpi.Group_free(&group);

  CommInfo* e = free_slot_for(c);
  if (!e) {
    g_tables[0].overflows += 1;
    return;
  }
  CommInfo info{};
  info.size = size;
  info.rank = rank;
  info.remote_size = remote;
  info.inter = inter != 0;
  info.identity = identity;
  info.outdegree = inter ? 0 : topology_outdegree(c, rank);
  info.peers = n;
  if (e->comm == c && e->pool_capacity > 0 && g_free_count < kCommunicators)
    g_free_blocks[g_free_count++] = FreeBlock{e->pool_offset, e->pool_capacity};
  if (!identity && n > 0) {
    if (!allocate_block(n, &info.pool_offset, &info.pool_capacity)) {
      info.peers = 0;  // peers unknown: traffic on it is counted as overflow
    } else {
      for (int i = 0; i < n; ++i) g_peer_pool[info.pool_offset + i] = keys[static_cast<size_t>(i)];
    }
  }
  info.comm = nullptr;
  *e = info;
  __atomic_store_n(&e->comm, c, __ATOMIC_RELEASE);
}

}  // namespace

std::uint32_t world_index(std::uint64_t uid) {
  for (int i = 0; i < g_world_count; ++i)
    if (g_world_uids[i] == uid) return static_cast<std::uint32_t>(i);
  if (g_world_count >= kWorlds) return 0;
  g_world_uids[g_world_count] = uid;
  return static_cast<std::uint32_t>(g_world_count++);
}

void comm_init_world() {
  g_mpi.Comm_size(g_mpi.comm_world, &g_world_size);
  g_mpi.Comm_rank(g_mpi.comm_world, &g_world_rank);
  g_mpi.Comm_group(g_mpi.comm_world, &g_world_group);
}

const CommInfo* comm_register_late(MPI_Comm c) {
  if (c == nullptr || c == g_mpi.comm_null || g_world_group == nullptr) return nullptr;
  {
    RegistrationLock lock;
    if (const CommInfo* e = find_slot(c)) return e;
    register_comm(c, nullptr, 0);
  }
  return find_slot(c);
}

void comm_created(MPI_Comm newcomm, MPI_Comm parent, Origin origin, int root) {
  if (g_world_group == nullptr) return;
  std::uint64_t uid = 0;
  switch (origin) {
    case Origin::derived:
      break;
    case Origin::spawned:
    case Origin::connected: {
      // One number for the new world, the same on every rank of the local group.
      int me = -1;
      g_mpi.Comm_rank(parent, &me);
      if (me == root) uid = mix(__rdtsc() ^ (std::uint64_t(getpid()) << 20) ^ g_world_uids[0]);
      g_mpi.Bcast(&uid, 1, g_mpi.uint64, root, parent);
      parent = nullptr;
      break;
    }
    case Origin::joined:
      uid = mix(__rdtsc() ^ std::uint64_t(getpid()));
      break;
    case Origin::parent:
      if (newcomm == g_mpi.comm_null || find_slot(newcomm) != nullptr) return;
      uid = mix(g_world_uids[0] ^ 0x70617265ULL);
      break;
  }
  RegistrationLock lock;
  register_comm(newcomm, parent, uid);
}

void comm_intercomm_created(MPI_Comm newcomm, MPI_Comm local, MPI_Comm bridge) {
  (void)local;
  if (g_world_group == nullptr) return;
  RegistrationLock lock;
  // Remote peers outside our world are found through the bridge communicator's peers.
  register_comm(newcomm, bridge, 0);
}

void comm_freed(MPI_Comm c) {
  if (c == nullptr || c == g_mpi.comm_world) return;
  RegistrationLock lock;
  if (CommInfo* e = find_slot(c)) {
    if (e->pool_capacity > 0 && g_free_count < kCommunicators)
      g_free_blocks[g_free_count++] = FreeBlock{e->pool_offset, e->pool_capacity};
    e->pool_capacity = 0;
    __atomic_store_n(&e->comm, kTombstone, __ATOMIC_RELEASE);
  }
}

}  // namespace hpcmon::mpi
