#include "comm_cache.hpp"

#include <unistd.h>
#include <x86intrin.h>

#include <atomic>

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
// Scratch of one registration (always under RegistrationLock): static, so registering never
// allocates. A communicator larger than kPeerPool is translated in chunks (identity check
// only: its peers cannot fit the pool anyway).
constexpr int kScratch = kPeerPool;
int g_rank_from[kScratch], g_rank_to[kScratch];
std::uint64_t g_scratch_keys[kScratch];
// Communicators that could not be registered (table full, MPI refused): a lock-free,
// direct-mapped negative table read on the miss path, so each is tried once.
constexpr int kUnknownComms = 64;
MPI_Comm g_unknown[kUnknownComms];

std::uint32_t unknown_slot(MPI_Comm c) { return comm_hash(c) & (kUnknownComms - 1); }
bool known_unknown(MPI_Comm c) { return __atomic_load_n(&g_unknown[unknown_slot(c)], __ATOMIC_ACQUIRE) == c; }
void remember_unknown(MPI_Comm c) { __atomic_store_n(&g_unknown[unknown_slot(c)], c, __ATOMIC_RELEASE); }
void forget_unknown(MPI_Comm c) {
  MPI_Comm expected = c;
  __atomic_compare_exchange_n(&g_unknown[unknown_slot(c)], &expected, nullptr, false, __ATOMIC_ACQ_REL,
                              __ATOMIC_ACQUIRE);
}
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
  for (int i = 0; i < kCommProbe; ++i) {
    CommInfo& e = g_comms[(h + i) & (kCommunicators - 1)];
    if (e.comm == nullptr || e.comm == kTombstone || e.comm == c) return &e;
  }
  return nullptr;
}

CommInfo* find_slot(MPI_Comm c) {
  std::uint32_t h = comm_hash(c);
  for (int i = 0; i < kCommProbe; ++i) {
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

// Translates ranks [first, first+n) of `group` into `target` (n <= kScratch): g_rank_to[i]
// is the rank of first+i, MPI_UNDEFINED where absent.
void translate(MPI_Group group, int first, int n, MPI_Group target) {
  for (int i = 0; i < n; ++i) {
    g_rank_from[i] = first + i;
    g_rank_to[i] = MPI_UNDEFINED;
  }
  if (n > 0) g_mpi.Group_translate_ranks(group, n, g_rank_from, target, g_rank_to);
}

// Fills peers of a new communicator; `uid_for_unknown` names the world of peers that are
// in neither our world nor the parent (0: leave them unknown). False when it cannot be
// registered (MPI refused, table full).
bool register_comm(MPI_Comm c, MPI_Comm parent, std::uint64_t uid_for_unknown) {
  if (c == nullptr || c == g_mpi.comm_world || c == g_mpi.comm_null) return true;
  forget_unknown(c);  // a handle MPI reuses starts afresh
  int inter = 0, size = 0, rank = 0, remote = 0;
  if (g_mpi.Comm_test_inter(c, &inter) != MPI_SUCCESS) return false;
  g_mpi.Comm_size(c, &size);
  g_mpi.Comm_rank(c, &rank);
  if (inter) g_mpi.Comm_remote_size(c, &remote);
  MPI_Group group = nullptr;
  (inter ? g_mpi.Comm_remote_group : g_mpi.Comm_group)(c, &group);
  const int n = inter ? remote : size;
  const bool fits = n <= kScratch;  // else: identity check only, peers unknown
  std::uint64_t* keys = g_scratch_keys;
  bool identity = !inter && n == g_world_size;
  bool missing = false;
  for (int base = 0; base < n; base += kScratch) {
    const int m = n - base < kScratch ? n - base : kScratch;
    translate(group, base, m, g_world_group);
    for (int i = 0; i < m; ++i) {
      const int w = g_rank_to[i];
      if (fits) keys[i] = w != MPI_UNDEFINED ? peer_key(0, w) : kUnknownPeer;
      missing = missing || w == MPI_UNDEFINED;
      identity = identity && w == base + i;
    }
  }
  if (fits && missing && parent != nullptr) {
    // Peers outside our world: look them up through the parent's translated peers.
    if (const CommInfo* pe = find_slot(parent); pe && !pe->identity) {
      MPI_Group pgroup = nullptr;
      (pe->inter ? g_mpi.Comm_remote_group : g_mpi.Comm_group)(parent, &pgroup);
      translate(group, 0, n, pgroup);
      for (int i = 0; i < n; ++i) {
        const int p = g_rank_to[i];
        if (keys[i] == kUnknownPeer && p != MPI_UNDEFINED) keys[i] = comm_peer(pe, p);
      }
      g_mpi.Group_free(&pgroup);
    }
  }
  if (fits && uid_for_unknown != 0) {
    std::uint32_t w = world_index(uid_for_unknown);
    for (int i = 0; i < n; ++i)
      if (keys[i] == kUnknownPeer && w != 0) keys[i] = peer_key(w, i);
  }
  g_mpi.Group_free(&group);

  CommInfo* e = free_slot_for(c);
  if (!e) {
    g_tables[0].overflows += 1;
    return false;
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
    if (!fits || !allocate_block(n, &info.pool_offset, &info.pool_capacity)) {
      info.peers = 0;  // peers unknown: traffic on it is counted as overflow
    } else {
      for (int i = 0; i < n; ++i) g_peer_pool[info.pool_offset + i] = keys[i];
    }
  }
  info.comm = nullptr;
  *e = info;
  __atomic_store_n(&e->comm, c, __ATOMIC_RELEASE);
  return true;
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
  RegistrationLock lock;
  register_comm(g_mpi.comm_self, nullptr, 0);  // never created by the program: known from the start
}

const CommInfo* comm_register_late(MPI_Comm c) {
  if (c == nullptr || c == g_mpi.comm_null || g_world_group == nullptr || known_unknown(c)) return nullptr;
  RegistrationLock lock;
  if (const CommInfo* e = find_slot(c)) return e;
  if (!register_comm(c, nullptr, 0)) {
    remember_unknown(c);
    return nullptr;
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

void comm_intercomm_created(MPI_Comm newcomm, MPI_Comm bridge) {
  if (g_world_group == nullptr) return;
  RegistrationLock lock;
  // Remote peers outside our world are found through the bridge communicator's peers.
  register_comm(newcomm, bridge, 0);
}

void comm_freed(MPI_Comm c) {
  if (c == nullptr || c == g_mpi.comm_world) return;
  RegistrationLock lock;
  forget_unknown(c);
  if (CommInfo* e = find_slot(c)) {
    if (e->pool_capacity > 0 && g_free_count < kCommunicators)
      g_free_blocks[g_free_count++] = FreeBlock{e->pool_offset, e->pool_capacity};
    e->pool_capacity = 0;
    __atomic_store_n(&e->comm, kTombstone, __ATOMIC_RELEASE);
  }
}

}  // namespace hpcmon::mpi
