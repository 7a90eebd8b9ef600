// The interposed entry points. Each forwards to the real function, then records the outcome;
// frees are removed from the live-block table before the real free (another thread could get
// the same address back from malloc in between).
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/types.h>

#include <cerrno>
#include <cstring>

#include "state.hpp"

namespace hpcmon::mem {
namespace {

inline bool bootstrapping() { return !real_functions_ready(); }

// Real functions known, or being resolved by this call chain (then the caller uses the arena).
inline bool ensure_real() {
  if (__builtin_expect(real_functions_ready(), 1)) return true;
  static __thread bool resolving __attribute__((tls_model("initial-exec"))) = false;
  if (resolving) return false;
  resolving = true;
  resolve_real_functions();
  resolving = false;
  return real_functions_ready();
}

inline bool should_track() {
  if (reentry_depth != 0) return false;
  if (__builtin_expect(!tracking_ready(), 0)) {
    initialize_tracking();
    if (!tracking_ready()) return false;
  }
  return true;
}

void count_call(Fn fn) {
  ThreadStats& t = thread_stats();
  bump(t, t.calls[static_cast<int>(fn)], 1);
}

void record_alloc(void* p, size_t size, Fn fn) {
  ThreadStats& t = thread_stats();
  bump(t, t.calls[static_cast<int>(fn)], 1);
  if (p == nullptr) return;
  ReentryGuard guard;
  const int k = size_class(size);
  bump(t, t.allocs, 1);
  bump(t, t.alloc_bytes, size);
  bump(t, t.class_count[k], 1);
  bump(t, t.class_bytes[k], size);
  const uint32_t site = capture_site(size);
  if (blocks_insert(reinterpret_cast<uintptr_t>(p), BlockInfo{size, site}))
    note_live_delta(t, static_cast<int64_t>(size));
  else  // untracked: its free will not be found, so it never counts as live
    bump(t, t.freed_bytes, size);
  maybe_sample(t);
}

// Removes p from the table; true when it was tracked (then `info` holds its size and site).
bool record_free(void* p, BlockInfo* info) {
  ReentryGuard guard;
  ThreadStats& t = thread_stats();
  if (!blocks_remove(reinterpret_cast<uintptr_t>(p), info)) {
    untracked_frees.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  bump(t, t.frees, 1);
  bump(t, t.freed_bytes, info->size);
  note_live_delta(t, -static_cast<int64_t>(info->size));
  maybe_sample(t);
  return true;
}

void* aligned_from_arena(size_t alignment, size_t size) { return arena_alloc(size, alignment, true); }

}  // namespace
}  // namespace hpcmon::mem

using namespace hpcmon::mem;

extern "C" {

__attribute__((visibility("default"))) void* malloc(size_t size) {
  if (!ensure_real()) return arena_alloc(size, 16, false);
  void* p = real.malloc(size);
  if (should_track()) record_alloc(p, size, Fn::malloc);
  return p;
}

__attribute__((visibility("default"))) void* calloc(size_t n, size_t size) {
  if (!ensure_real()) {
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) return nullptr;
    return arena_alloc(total, 16, true);
  }
  void* p = real.calloc(n, size);
  if (should_track()) record_alloc(p, n * size, Fn::calloc);
  return p;
}

__attribute__((visibility("default"))) void free(void* p) {
  if (p == nullptr) {
    if (real_functions_ready() && should_track()) count_call(Fn::free);
    return;
  }
  if (in_arena(p)) return;  // bootstrap blocks are never given to the real free
  if (!ensure_real()) return;
  if (should_track()) {
    count_call(Fn::free);
    BlockInfo info;
    record_free(p, &info);
  }
  real.free(p);
}

__attribute__((visibility("default"))) void* realloc(void* p, size_t size) {
  if (p != nullptr && in_arena(p)) {
    const size_t old = arena_block_size(p);
    void* q = malloc(size);
    if (q != nullptr) memcpy(q, p, old < size ? old : size);
    return q;
  }
  if (!ensure_real()) return arena_alloc(size, 16, false);
  if (!should_track()) return real.realloc(p, size);
  if (p == nullptr) {
    void* q = real.realloc(nullptr, size);
    record_alloc(q, size, Fn::realloc);
    return q;
  }
  // Out of the table before the real call (the old address may be reused at once).
  BlockInfo old;
  const bool tracked = record_free(p, &old);
  void* q = real.realloc(p, size);
  if (q == nullptr && size != 0) {  // failed: p is still live, undo its free
    if (tracked) {
      ReentryGuard guard;
      ThreadStats& t = thread_stats();
      if (blocks_insert(reinterpret_cast<uintptr_t>(p), old)) {
        bump(t, t.frees, ~uint64_t{0});  // minus one, modulo 2^64
        bump(t, t.freed_bytes, ~old.size + 1);
        note_live_delta(t, static_cast<int64_t>(old.size));
      }
    }
    count_call(Fn::realloc);
    return nullptr;
  }
  if (q == nullptr) {  // realloc(p, 0): glibc frees p
    count_call(Fn::realloc);
    return nullptr;
  }
  record_alloc(q, size, Fn::realloc);
  return q;
}

__attribute__((visibility("default"))) int posix_memalign(void** out, size_t alignment, size_t size) {
  if (!ensure_real()) {
    void* p = aligned_from_arena(alignment, size);
    if (p == nullptr) return ENOMEM;
    *out = p;
    return 0;
  }
  const int rc = real.posix_memalign(out, alignment, size);
  if (should_track()) record_alloc(rc == 0 ? *out : nullptr, size, Fn::posix_memalign);
  return rc;
}

__attribute__((visibility("default"))) void* aligned_alloc(size_t alignment, size_t size) {
  if (!ensure_real()) return aligned_from_arena(alignment, size);
  void* p = real.aligned_alloc(alignment, size);
  if (should_track()) record_alloc(p, size, Fn::aligned_alloc);
  return p;
}

__attribute__((visibility("default"))) void* memalign(size_t alignment, size_t size) {
  if (!ensure_real()) return aligned_from_arena(alignment, size);
  void* p = real.memalign(alignment, size);
  if (should_track()) record_alloc(p, size, Fn::memalign);
  return p;
}

__attribute__((visibility("default"))) void* valloc(size_t size) {
  if (!ensure_real()) return aligned_from_arena(4096, size);
  void* p = real.valloc(size);
  if (should_track()) record_alloc(p, size, Fn::valloc);
  return p;
}

__attribute__((visibility("default"))) void* pvalloc(size_t size) {
  if (!ensure_real()) return aligned_from_arena(4096, (size + 4095) & ~size_t{4095});
  void* p = real.pvalloc(size);
  if (should_track()) record_alloc(p, size, Fn::pvalloc);
  return p;
}

__attribute__((visibility("default"))) size_t malloc_usable_size(void* p) {
  if (p == nullptr) return 0;
  if (in_arena(p)) return arena_block_size(p);
  if (!ensure_real()) return 0;
  return real.malloc_usable_size(p);
}

// mmap and munmap: counted (calls, bytes; anonymous apart), not kept in the live-block table.
__attribute__((visibility("default"))) void* mmap(void* addr, size_t length, int prot, int flags, int fd,
                                                  off_t offset) {
  if (!ensure_real())
    return reinterpret_cast<void*>(syscall(SYS_mmap, addr, length, prot, flags, fd, offset));
  void* p = real.mmap(addr, length, prot, flags, fd, offset);
  if (p != MAP_FAILED && should_track()) {
    ReentryGuard guard;
    ThreadStats& t = thread_stats();
    bump(t, t.calls[static_cast<int>(Fn::mmap)], 1);
    bump(t, t.mmap_bytes, length);
    if (flags & MAP_ANONYMOUS) bump(t, t.mmap_anon_bytes, length);
  }
  return p;
}

__attribute__((visibility("default"))) void* mmap64(void* addr, size_t length, int prot, int flags, int fd,
                                                    off_t offset) {
  return mmap(addr, length, prot, flags, fd, offset);
}

__attribute__((visibility("default"))) int munmap(void* addr, size_t length) {
  if (!ensure_real()) return static_cast<int>(syscall(SYS_munmap, addr, length));
  const int rc = real.munmap(addr, length);
  if (rc == 0 && should_track()) {
    ReentryGuard guard;
    ThreadStats& t = thread_stats();
    bump(t, t.calls[static_cast<int>(Fn::munmap)], 1);
    bump(t, t.munmap_bytes, length);
  }
  return rc;
}

}  // extern "C"

namespace hpcmon::mem {
namespace {
// Early: the start time is the process's, not its first allocation's.
__attribute__((constructor)) void start_profiling() {
  if (!ensure_real()) return;
  initialize_tracking();
  ReentryGuard guard;
  load_fast_unwinder();
  install_exit_paths();
}
// Late (after the program's own destructors): what is still allocated now is never freed.
__attribute__((destructor)) void finish_profiling() { write_profile(); }
}  // namespace
}  // namespace hpcmon::mem
