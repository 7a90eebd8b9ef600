// Layout of the live-block table (state.hpp): shards of open-addressing arrays, each grown by
// doubling under its own spin lock, memory from mmap(2) by system call.
#pragma once

#include <atomic>
#include <cstdint>

namespace hpcmon::mem {

struct BlockSlot {
  uintptr_t ptr;  // 0: empty
  uint64_t size;
  uint32_t site;
};

struct BlockShard {
  std::atomic<bool> locked{false};
  BlockSlot* slots = nullptr;
  uint64_t capacity = 0;  // power of two
  uint64_t used = 0;
  char pad[32];
  void lock() {
    while (locked.exchange(true, std::memory_order_acquire))
      while (locked.load(std::memory_order_relaxed)) __builtin_ia32_pause();
  }
  void unlock() { locked.store(false, std::memory_order_release); }
};
extern BlockShard block_shards[kBlockShards];

template <class Visit> void blocks_for_each(Visit&& visit) {
  for (auto& shard : block_shards) {
    shard.lock();
    for (uint64_t i = 0; i < shard.capacity; ++i)
      if (shard.slots[i].ptr != 0) visit(shard.slots[i]);
    shard.unlock();
  }
}

}  // namespace hpcmon::mem
