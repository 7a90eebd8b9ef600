// Call sites: the return addresses of the allocating call, the preload's own frames dropped,
// deduplicated lock-free: entries handed out in order, found through an open-addressing index.
// The stack is taken with libunwind's fast path (unw_backtrace, ~0.2 us for 8 frames here),
// dlopen'ed RTLD_LOCAL at start-up: libunwind.so.8 also defines _Unwind_* and backtrace, which
// must not replace libgcc's for the program's C++ exceptions. Until it is loaded, or without it,
// libgcc's _Unwind_Backtrace is used (~13 us for 8 frames here: bench/memprof_bench.sh).
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <unwind.h>

#include "state.hpp"

extern "C" const ElfW(Ehdr) __ehdr_start __attribute__((visibility("hidden")));

namespace hpcmon::mem {

std::atomic<uint64_t> sites_dropped{0};

namespace {

Site* sites = nullptr;  // mmap'ed at initialisation
int (*fast_backtrace)(void**, int) = nullptr;  // libunwind's unw_backtrace
// Entries are handed out in order (so only the pages in use are touched); a separate
// open-addressing index of entry ids (0: empty) finds a stack's entry.
constexpr uint64_t kIndexSlots = 2 * kSiteCapacity;
std::atomic<uint32_t>* index_slots = nullptr;
std::atomic<uint32_t> next_site{1};  // entry 0 means "no site"
uintptr_t self_begin = 0, self_end = 0;

// The preload's own executable range, from its program headers (no libc call).
void find_self_range() {
  const auto* base = reinterpret_cast<const char*>(&__ehdr_start);
  const auto* phdrs = reinterpret_cast<const ElfW(Phdr)*>(base + __ehdr_start.e_phoff);
  uintptr_t lowest_vaddr = UINTPTR_MAX;
  for (int i = 0; i < __ehdr_start.e_phnum; ++i)
    if (phdrs[i].p_type == PT_LOAD && phdrs[i].p_vaddr < lowest_vaddr) lowest_vaddr = phdrs[i].p_vaddr;
  const uintptr_t bias = reinterpret_cast<uintptr_t>(base) - (lowest_vaddr & ~uintptr_t{0xfff});
  self_begin = UINTPTR_MAX;
  for (int i = 0; i < __ehdr_start.e_phnum; ++i) {
    if (phdrs[i].p_type != PT_LOAD || !(phdrs[i].p_flags & PF_X)) continue;
    const uintptr_t begin = bias + phdrs[i].p_vaddr, end = begin + phdrs[i].p_memsz;
    if (begin < self_begin) self_begin = begin;
    if (end > self_end) self_end = end;
  }
}

struct Capture {
  uintptr_t* frames;
  int count;
  int max;
};

_Unwind_Reason_Code on_frame(_Unwind_Context* context, void* arg) {
  auto* capture = static_cast<Capture*>(arg);
  const uintptr_t ip = _Unwind_GetIP(context);
  if (ip == 0) return _URC_END_OF_STACK;
  if (capture->count == 0 && ip >= self_begin && ip < self_end) return _URC_NO_REASON;
  capture->frames[capture->count++] = ip;
  return capture->count >= capture->max ? _URC_END_OF_STACK : _URC_NO_REASON;
}

uint64_t hash_frames(const uintptr_t* frames, int count) {
  uint64_t h = 0xcbf29ce484222325ull ^ static_cast<uint64_t>(count);
  for (int i = 0; i < count; ++i) h = (h ^ frames[i]) * 0x100000001b3ull;
  h ^= h >> 31;
  return h == 0 ? 1 : h;  // 0: an entry not in use
}

bool same_frames(const Site& site, const uintptr_t* frames, int count) {
  if (static_cast<int>(site.depth) != count) return false;
  for (int i = 0; i < count; ++i)
    if (site.frames[i] != frames[i]) return false;
  return true;
}

}  // namespace

void initialize_sites() {
  find_self_range();
  void* p = reinterpret_cast<void*>(syscall(SYS_mmap, nullptr, kSiteCapacity * sizeof(Site),
                                            PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  sites = p == MAP_FAILED ? nullptr : static_cast<Site*>(p);
  void* q = reinterpret_cast<void*>(syscall(SYS_mmap, nullptr, kIndexSlots * sizeof(std::atomic<uint32_t>),
                                            PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  index_slots = q == MAP_FAILED ? nullptr : static_cast<std::atomic<uint32_t>*>(q);
}

Site* site_table() { return sites; }

uint32_t site_count() {
  const uint32_t n = next_site.load(std::memory_order_acquire);
  return n < kSiteCapacity ? n : static_cast<uint32_t>(kSiteCapacity);
}

void load_fast_unwinder() {
  void* handle = dlopen(HPCMON_LIBUNWIND_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return;
  // Per-thread caches of unwind information: the default global cache takes a lock per lookup.
  auto* address_space = static_cast<void**>(dlsym(handle, "_ULx86_64_local_addr_space"));
  auto set_policy = reinterpret_cast<int (*)(void*, int)>(dlsym(handle, "_ULx86_64_set_caching_policy"));
  constexpr int kUnwCachePerThread = 2;  // UNW_CACHE_PER_THREAD in libunwind.h
  if (address_space != nullptr && set_policy != nullptr) set_policy(*address_space, kUnwCachePerThread);
  fast_backtrace = reinterpret_cast<int (*)(void**, int)>(dlsym(handle, "unw_backtrace"));
}

uint32_t capture_site(uint64_t size) {
  if (settings.depth == 0 || sites == nullptr || index_slots == nullptr) return 0;
  uintptr_t frames[kMaxDepth];
  Capture capture{frames, 0, settings.depth};
  if (fast_backtrace != nullptr) {
    void* raw[kMaxDepth + 4];
    const int n = fast_backtrace(raw, settings.depth + 4);
    int first = 0;
    while (first < n && reinterpret_cast<uintptr_t>(raw[first]) >= self_begin &&
           reinterpret_cast<uintptr_t>(raw[first]) < self_end)
      ++first;
    for (int i = first; i < n && capture.count < settings.depth; ++i)
      frames[capture.count++] = reinterpret_cast<uintptr_t>(raw[i]);
  } else {
    _Unwind_Backtrace(on_frame, &capture);
  }
  if (capture.count == 0) return 0;
  const uint64_t h = hash_frames(frames, capture.count);
  const uint64_t mask = kIndexSlots - 1;
  uint32_t mine = 0;  // an entry claimed by this call, published at most once
  for (uint64_t probe = 0, i = h & mask; probe < kIndexSlots; ++probe, i = (i + 1) & mask) {
    uint32_t id = index_slots[i].load(std::memory_order_acquire);
    if (id == 0) {
      if (mine == 0) {
        mine = next_site.fetch_add(1, std::memory_order_relaxed);
        if (mine >= kSiteCapacity) break;
        Site& site = sites[mine];
        site.depth = static_cast<uint32_t>(capture.count);
        site.epoch = unload_epoch.load(std::memory_order_acquire);
        for (int f = 0; f < capture.count; ++f) site.frames[f] = frames[f];
        site.hash.store(h, std::memory_order_relaxed);
      }
      if (index_slots[i].compare_exchange_strong(id, mine, std::memory_order_acq_rel)) id = mine;
      // else another thread published here first: compare with its entry below
    }
    Site& site = sites[id];
    if (site.hash.load(std::memory_order_relaxed) == h && same_frames(site, frames, capture.count)) {
      // An entry claimed but beaten by an identical stack stays unused (hash 0: never written out).
      if (mine != 0 && mine != id) sites[mine].hash.store(0, std::memory_order_relaxed);
      site.allocs.fetch_add(1, std::memory_order_relaxed);
      site.bytes.fetch_add(size, std::memory_order_relaxed);
      return id;
    }
  }
  if (mine != 0 && mine < kSiteCapacity) sites[mine].hash.store(0, std::memory_order_relaxed);
  sites_dropped.fetch_add(1, std::memory_order_relaxed);
  return 0;
}

}  // namespace hpcmon::mem
