// Resolution of the real functions (with the bootstrap arena), settings, per-thread counters,
// live bytes and the bounded live-bytes series.
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>

#include "state.hpp"

namespace hpcmon::mem {

RealFunctions real;
Settings settings;
__thread int reentry_depth __attribute__((tls_model("initial-exec"))) = 0;
ThreadStats thread_slots[kThreadSlots];
std::atomic<int> thread_slots_used{0};
std::atomic<int64_t> peak_live_bytes{0};
std::atomic<uint64_t> arena_allocations{0};
uint64_t start_realtime_ns = 0;

namespace {

// ---- resolution ----
// 0 unresolved, 1 resolving (dlsym may call calloc: served from the arena), 2 ready.
std::atomic<int> resolve_state{0};
// 0 not initialised, 1 initialising, 2 ready.
std::atomic<int> tracking_state{0};

template <class F> void resolve(F& slot, const char* name) {
  slot = reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

// ---- arena: bump allocation in a static buffer, never returned to the real free ----
constexpr size_t kArenaBytes = 256 * 1024;
alignas(4096) char arena[kArenaBytes];
std::atomic<size_t> arena_used{0};
struct ArenaHeader { size_t size; size_t pad; };

// ---- series ----
std::atomic<bool> series_lock{false};
SeriesPoint series[kSeriesPoints];
int series_count = 0;
uint64_t series_step_ns = 0;           // current interval (doubles when the series is halved)
std::atomic<uint64_t> next_sample_ns{0};
uint64_t start_monotonic_ns = 0;

__thread ThreadStats* my_stats __attribute__((tls_model("initial-exec"))) = nullptr;

uint64_t env_number(const char* name, uint64_t fallback, uint64_t lo, uint64_t hi) {
  const char* text = getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const unsigned long long v = strtoull(text, &end, 10);
  if (*end != '\0' || v < lo || v > hi) return fallback;
  return v;
}

void fork_prepare() {
  while (series_lock.exchange(true, std::memory_order_acquire)) __builtin_ia32_pause();
  blocks_lock_all();
}
void fork_release() {
  blocks_unlock_all();
  series_lock.store(false, std::memory_order_release);
}

}  // namespace

bool real_functions_ready() { return resolve_state.load(std::memory_order_acquire) == 2; }

void resolve_real_functions() {
  int expected = 0;
  if (!resolve_state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
    // Another thread resolves: its callers use the arena meanwhile; wait for it.
    while (resolve_state.load(std::memory_order_acquire) != 2) __builtin_ia32_pause();
    return;
  }
  RealFunctions r;
  resolve(r.malloc, "malloc");
  resolve(r.free, "free");
  resolve(r.calloc, "calloc");
  resolve(r.realloc, "realloc");
  resolve(r.posix_memalign, "posix_memalign");
  resolve(r.aligned_alloc, "aligned_alloc");
  resolve(r.memalign, "memalign");
  resolve(r.valloc, "valloc");
  resolve(r.pvalloc, "pvalloc");
  resolve(r.malloc_usable_size, "malloc_usable_size");
  resolve(r.mmap, "mmap");
  resolve(r.munmap, "munmap");
  if (r.malloc == nullptr || r.free == nullptr || r.calloc == nullptr || r.realloc == nullptr) {
    static const char message[] = "hpcmon memprof: the real malloc cannot be found, aborting\n";
    (void)!write(2, message, sizeof message - 1);
    _exit(127);
  }
  real = r;
  resolve_state.store(2, std::memory_order_release);
}

// Called with resolve_state == 1 only (dlsym's own allocations) or for blocks freed later.
void* arena_alloc(size_t size, size_t alignment, bool /*zero: the arena is never reused*/) {
  if (alignment < alignof(ArenaHeader)) alignment = alignof(ArenaHeader);
  size_t offset = arena_used.load(std::memory_order_relaxed);
  for (;;) {
    const size_t data = (offset + sizeof(ArenaHeader) + alignment - 1) & ~(alignment - 1);
    const size_t end = data + ((size + 15) & ~size_t{15});
    if (end > kArenaBytes) return nullptr;
    if (arena_used.compare_exchange_weak(offset, end, std::memory_order_relaxed)) {
      reinterpret_cast<ArenaHeader*>(arena + data - sizeof(ArenaHeader))->size = size;
      arena_allocations.fetch_add(1, std::memory_order_relaxed);
      return arena + data;
    }
  }
}

bool in_arena(const void* p) {
  const auto* c = static_cast<const char*>(p);
  return c >= arena && c < arena + kArenaBytes;
}

size_t arena_block_size(const void* p) {
  return reinterpret_cast<const ArenaHeader*>(static_cast<const char*>(p) - sizeof(ArenaHeader))->size;
}

int size_class(uint64_t size) { return size <= 1 ? 0 : 63 - __builtin_clzll(size); }

ThreadStats& thread_stats() {
  if (my_stats != nullptr) return *my_stats;
  const int index = thread_slots_used.fetch_add(1, std::memory_order_relaxed);
  if (index >= kThreadSlots - 1) {
    thread_slots[kThreadSlots - 1].shared = true;
    my_stats = &thread_slots[kThreadSlots - 1];
  } else {
    my_stats = &thread_slots[index];
  }
  return *my_stats;
}

bool tracking_ready() { return tracking_state.load(std::memory_order_acquire) == 2; }

void initialize_tracking() {
  int expected = 0;
  if (!tracking_state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) return;
  ReentryGuard guard;
  settings.depth = static_cast<int>(env_number("HPCMON_MEM_DEPTH", kDefaultDepth, 0, kMaxDepth));
  settings.sample_interval_ns = env_number("HPCMON_MEM_SAMPLE_MS", 100, 1, 3'600'000) * 1'000'000;
  settings.max_blocks = env_number("HPCMON_MEM_MAX_BLOCKS", kDefaultMaxBlocks, 1024, uint64_t{1} << 32);
  start_realtime_ns = realtime_ns();
  start_monotonic_ns = monotonic_ns();
  series_step_ns = settings.sample_interval_ns;
  next_sample_ns.store(start_monotonic_ns, std::memory_order_relaxed);
  initialize_sites();
  pthread_atfork(fork_prepare, fork_release, fork_release);
  tracking_state.store(2, std::memory_order_release);
}

// ---- live bytes and peak ----
namespace {
constexpr int64_t kFoldBytes = 64 * 1024;  // per-thread delta folded into the global counter
std::atomic<int64_t> folded_live{0};
constexpr uint32_t kOpsPerClockCheck = 256;

void raise_peak(int64_t value) {
  int64_t peak = peak_live_bytes.load(std::memory_order_relaxed);
  while (value > peak && !peak_live_bytes.compare_exchange_weak(peak, value, std::memory_order_relaxed)) {
  }
}
}  // namespace

void note_live_delta(ThreadStats& t, int64_t delta) {
  if (t.shared) {
    raise_peak(folded_live.fetch_add(delta, std::memory_order_relaxed) + delta);
    return;
  }
  t.pending_live += delta;
  if (t.pending_live >= kFoldBytes || t.pending_live <= -kFoldBytes) {
    raise_peak(folded_live.fetch_add(t.pending_live, std::memory_order_relaxed) + t.pending_live);
    t.pending_live = 0;
  }
}

int64_t live_bytes_now() {
  // Slots [0, used) have owners; the last slot is shared by threads beyond the others.
  const int used = thread_slots_used.load(std::memory_order_relaxed);
  const int owned = used < kThreadSlots - 1 ? used : kThreadSlots - 1;
  int64_t live = 0;
  for (int i = 0; i < owned; ++i)
    live += static_cast<int64_t>(thread_slots[i].alloc_bytes.load(std::memory_order_relaxed) -
                                 thread_slots[i].freed_bytes.load(std::memory_order_relaxed));
  const ThreadStats& shared = thread_slots[kThreadSlots - 1];
  live += static_cast<int64_t>(shared.alloc_bytes.load(std::memory_order_relaxed) -
                               shared.freed_bytes.load(std::memory_order_relaxed));
  return live;
}

uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t realtime_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

// Resident bytes from /proc/self/statm (opened each time: a forked child must read its own).
uint64_t read_rss_bytes() {
  const int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, "/proc/self/statm", O_RDONLY | O_CLOEXEC));
  if (fd < 0) return 0;
  char text[128];
  const long n = syscall(SYS_read, fd, text, sizeof text - 1);
  syscall(SYS_close, fd);
  if (n <= 0) return 0;
  text[n] = '\0';
  const char* p = text;
  while (*p != ' ' && *p != '\0') ++p;  // skip total size
  uint64_t pages = 0;
  while (*p == ' ') ++p;
  while (*p >= '0' && *p <= '9') pages = pages * 10 + static_cast<uint64_t>(*p++ - '0');
  return pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

void sample_now() {
  if (series_lock.exchange(true, std::memory_order_acquire)) return;  // someone else samples
  const uint64_t now = monotonic_ns();
  const int64_t live = live_bytes_now();
  raise_peak(live);
  if (series_count == kSeriesPoints) {
    // Full: keep every other point and halve the resolution from now on.
    for (int i = 0; i < kSeriesPoints / 2; ++i) series[i] = series[2 * i];
    series_count = kSeriesPoints / 2;
    series_step_ns *= 2;
  }
  series[series_count++] = SeriesPoint{now - start_monotonic_ns + start_realtime_ns, live, read_rss_bytes()};
  next_sample_ns.store(now + series_step_ns, std::memory_order_relaxed);
  series_lock.store(false, std::memory_order_release);
}

void maybe_sample(ThreadStats& t) {
  if (++t.ops_since_check < kOpsPerClockCheck) return;
  t.ops_since_check = 0;
  const uint64_t now = monotonic_ns();
  uint64_t due = next_sample_ns.load(std::memory_order_relaxed);
  if (now < due) return;
  if (!next_sample_ns.compare_exchange_strong(due, now + series_step_ns, std::memory_order_relaxed)) return;
  sample_now();
}

int series_snapshot(SeriesPoint* out, int max) {
  while (series_lock.exchange(true, std::memory_order_acquire)) __builtin_ia32_pause();
  const int n = series_count < max ? series_count : max;
  for (int i = 0; i < n; ++i) out[i] = series[i];
  series_lock.store(false, std::memory_order_release);
  return n;
}

}  // namespace hpcmon::mem
