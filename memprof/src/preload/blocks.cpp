// Live blocks: pointer -> (requested size, call site). A shard per high hash bits, linear
// probing inside a shard, deletion by backward shift (no tombstones), growth by doubling up to
// the shard's share of HPCMON_MEM_MAX_BLOCKS.
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "state.hpp"

namespace hpcmon::mem {

BlockShard block_shards[kBlockShards];
std::atomic<uint64_t> untracked_blocks{0};
std::atomic<uint64_t> untracked_frees{0};

namespace {

constexpr uint64_t kInitialShardCapacity = 64;

uint64_t hash_pointer(uintptr_t p) { return (static_cast<uint64_t>(p) >> 4) * 0x9E3779B97F4A7C15ull; }

BlockShard& shard_of(uint64_t h) { return block_shards[h >> 56]; }
// Home slot inside a shard: middle bits of the hash (the low bits of a product mix poorly).
uint64_t home_of(uint64_t h, uint64_t mask) { return (h >> 20) & mask; }

BlockSlot* map_slots(uint64_t capacity) {
  void* p = reinterpret_cast<void*>(syscall(SYS_mmap, nullptr, capacity * sizeof(BlockSlot),
                                            PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  return p == MAP_FAILED ? nullptr : static_cast<BlockSlot*>(p);
}

void put(BlockSlot* slots, uint64_t capacity, const BlockSlot& slot) {
  uint64_t i = home_of(hash_pointer(slot.ptr), capacity - 1);
  while (slots[i].ptr != 0) i = (i + 1) & (capacity - 1);
  slots[i] = slot;
}

// Grows the shard to twice its capacity; false when at its limit or out of memory.
bool grow(BlockShard& shard) {
  const uint64_t limit = settings.max_blocks / kBlockShards * 2;  // load factor 1/2 at the limit
  const uint64_t capacity = shard.capacity == 0 ? kInitialShardCapacity : shard.capacity * 2;
  if (shard.capacity != 0 && capacity > limit) return false;
  BlockSlot* slots = map_slots(capacity);
  if (slots == nullptr) return false;
  for (uint64_t i = 0; i < shard.capacity; ++i)
    if (shard.slots[i].ptr != 0) put(slots, capacity, shard.slots[i]);
  if (shard.slots != nullptr) syscall(SYS_munmap, shard.slots, shard.capacity * sizeof(BlockSlot));
  shard.slots = slots;
  shard.capacity = capacity;
  return true;
}

}  // namespace

bool blocks_insert(uintptr_t ptr, BlockInfo info) {
  const uint64_t h = hash_pointer(ptr);
  BlockShard& shard = shard_of(h);
  shard.lock();
  if ((shard.used + 1) * 2 > shard.capacity && !grow(shard)) {
    shard.unlock();
    untracked_blocks.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  put(shard.slots, shard.capacity, BlockSlot{ptr, info.size, info.site});
  ++shard.used;
  shard.unlock();
  return true;
}

bool blocks_remove(uintptr_t ptr, BlockInfo* info) {
  const uint64_t h = hash_pointer(ptr);
  BlockShard& shard = shard_of(h);
  shard.lock();
  if (shard.capacity == 0) {
    shard.unlock();
    return false;
  }
  const uint64_t mask = shard.capacity - 1;
  uint64_t i = home_of(h, mask);
  while (shard.slots[i].ptr != ptr) {
    if (shard.slots[i].ptr == 0) {
      shard.unlock();
      return false;
    }
    i = (i + 1) & mask;
  }
  info->size = shard.slots[i].size;
  info->site = shard.slots[i].site;
  // Backward shift: move later members of the probe run into the hole when allowed.
  uint64_t hole = i;
  for (uint64_t j = (i + 1) & mask; shard.slots[j].ptr != 0; j = (j + 1) & mask) {
    const uint64_t home = home_of(hash_pointer(shard.slots[j].ptr), mask);
    const bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
    if (movable) {
      shard.slots[hole] = shard.slots[j];
      hole = j;
    }
  }
  shard.slots[hole].ptr = 0;
  --shard.used;
  shard.unlock();
  return true;
}

void blocks_lock_all() {
  for (auto& shard : block_shards) shard.lock();
}
void blocks_unlock_all() {
  for (auto& shard : block_shards) shard.unlock();
}

}  // namespace hpcmon::mem
