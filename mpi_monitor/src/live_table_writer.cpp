#include "live_table_writer.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "rank_summary.hpp"
#include "runtime.hpp"

namespace hpcmon::mpi {
namespace {

namespace fmt = live::format;

// The thread blocks are ThreadTables verbatim; the header names where the public parts are.
static_assert(offsetof(FnStats, seq) == 0 && offsetof(FnStats, calls) == 8 && offsetof(FnStats, bytes) == 16 &&
              offsetof(FnStats, errors) == 24 && offsetof(FnStats, ticks) == 32 && offsetof(FnStats, min_ticks) == 40 &&
              offsetof(FnStats, max_ticks) == 48 && offsetof(FnStats, hist) == fmt::kFnRowFixedWords * 8);
static_assert(offsetof(TrafficSlot, seq) == 0 && offsetof(TrafficSlot, key_plus1) == 8 &&
              offsetof(TrafficSlot, messages) == 16 && offsetof(TrafficSlot, bytes) == 24);
static_assert(offsetof(ThreadTables, overflows) == offsetof(ThreadTables, ticks_in_mpi) + 8);

constexpr std::uint64_t kPage = 4096;
std::uint64_t page_round(std::uint64_t n) { return (n + kPage - 1) / kPage * kPage; }

struct Live {
  fmt::Header* header = nullptr;
  std::size_t size = 0;
  char path[1200] = {};
  int dir_fd = -1;
  char name[256] = {};
};
Live g_live;

// A folder only this user can enter: created 0700 if missing, refused when it is a link, not
// ours, or open to others.
int private_dir(const char* path, char* problem, std::size_t cap) {
  if (mkdir(path, 0700) != 0 && errno != EEXIST) {
    std::snprintf(problem, cap, "cannot create %s: %s", path, std::strerror(errno));
    return -1;
  }
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    std::snprintf(problem, cap, "cannot open %s: %s", path, std::strerror(errno));
    return -1;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
    std::snprintf(problem, cap, "%s is not a private folder of this user (owner or mode)", path);
    close(fd);
    return -1;
  }
  return fd;
}

// HPCMON_RUN_DIR (the job's run directory, made by the SPANK plugin), else a private folder:
// $XDG_RUNTIME_DIR/hpcmon, /dev/shm/hpcmon-<uid>, /tmp/hpcmon-<uid> (memory-backed first:
// the hot path writes the mapping, and a disk-backed file would be written back).
int run_dir(char* dir, std::size_t dir_cap, bool* private_folder, char* problem, std::size_t cap) {
  *private_folder = false;
  if (const char* d = std::getenv("HPCMON_RUN_DIR"); d && *d) {
    std::snprintf(dir, dir_cap, "%s", d);
    int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) std::snprintf(problem, cap, "cannot open HPCMON_RUN_DIR %s: %s", d, std::strerror(errno));
    return fd;
  }
  *private_folder = true;
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  struct stat st {};
  if (xdg && *xdg && xdg[0] == '/') std::snprintf(dir, dir_cap, "%s/hpcmon", xdg);
  else if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode))
    std::snprintf(dir, dir_cap, "/dev/shm/hpcmon-%u", unsigned(geteuid()));
  else std::snprintf(dir, dir_cap, "/tmp/hpcmon-%u", unsigned(geteuid()));
  return private_dir(dir, problem, cap);
}

void copy(char* dst, std::size_t cap, const char* src) { std::snprintf(dst, cap, "%s", src ? src : ""); }

// File-name safe: the job key and step come from Slurm or our own formatting, but stay strict.
void safe_name(char* s) {
  for (; *s; ++s)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
          *s == '_' || *s == '+' || *s == '.'))
      *s = '_';
}

}  // namespace

bool live_table_open(const LiveIdentity& id, char* problem, std::size_t cap) {
  if (g_live.header) return true;
  char dir[1024] = {};
  bool private_folder = false;
  int dfd = run_dir(dir, sizeof dir, &private_folder, problem, cap);
  if (dfd < 0) return false;

  const std::uint32_t series_cap = id.series_cap;
  const std::uint64_t names_offset = fmt::kHeaderSize;
  const std::uint64_t series_offset = page_round(names_offset + std::uint64_t(kFunctionCount) * fmt::kNameLen);
  const std::uint64_t threads_offset = page_round(series_offset + std::uint64_t(series_cap) * sizeof(fmt::SeriesPoint));
  const std::uint64_t size = page_round(threads_offset + std::uint64_t(kMaxThreads) * sizeof(ThreadTables));

  char step[64] = {}, key[160] = {};
  copy(step, sizeof step, id.step);
  copy(key, sizeof key, id.job_key);
  safe_name(step);
  safe_name(key);
  std::snprintf(g_live.name, sizeof g_live.name, "mpi-%s.%s.%d.%ld.live", key, step, id.rank, long(getpid()));
  std::snprintf(g_live.path, sizeof g_live.path, "%s/%s", dir, g_live.name);
  int fd = openat(dfd, g_live.name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::snprintf(problem, cap, "cannot create %s: %s", g_live.path, std::strerror(errno));
    close(dfd);
    return false;
  }
  void* map = MAP_FAILED;
  if (ftruncate(fd, off_t(size)) == 0) map = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (map == MAP_FAILED) {
    std::snprintf(problem, cap, "cannot map %s: %s", g_live.path, std::strerror(errno));
    unlinkat(dfd, g_live.name, 0);
    close(dfd);
    return false;
  }
  g_live.dir_fd = private_folder ? dfd : (close(dfd), -1);

  auto* h = static_cast<fmt::Header*>(map);
  std::memcpy(h->magic, fmt::kMagic, sizeof h->magic);
  h->version_major = fmt::kVersionMajor;
  h->version_minor = fmt::kVersionMinor;
  h->file_size = size;
  h->header_size = fmt::kHeaderSize;
  copy(h->job_key, sizeof h->job_key, id.job_key);
  copy(h->step, sizeof h->step, id.step);
  char host[256] = {};
  if (const char* n = std::getenv("SLURMD_NODENAME"); n && *n) copy(host, sizeof host, n);
  else {
    gethostname(host, sizeof host - 1);
    if (char* dot = std::strchr(host, '.')) *dot = '\0';
  }
  copy(h->node, sizeof h->node, host);
  h->rank = id.rank;
  h->world_size = id.world_size;
  h->pid = getpid();
  h->start_ns = id.start_ns;
  h->function_count = kFunctionCount;
  h->size_bins = kSizeBins;
  h->names_offset = names_offset;
  h->series_offset = series_offset;
  h->series_cap = series_cap;
  h->point_size = sizeof(fmt::SeriesPoint);
  h->threads_offset = threads_offset;
  h->thread_stride = sizeof(ThreadTables);
  h->thread_count = kMaxThreads;
  h->fn_stride = sizeof(FnStats);
  h->fn_offset = offsetof(ThreadTables, fn);
  h->traffic_offset = offsetof(ThreadTables, traffic);
  h->traffic_slots = kTrafficPeers;
  h->traffic_stride = sizeof(TrafficSlot);
  h->tally_offset = offsetof(ThreadTables, ticks_in_mpi);
  h->interval_ns = std::uint64_t(id.interval_ns);
  h->series_step_ns = id.interval_ns;
  char* names = reinterpret_cast<char*>(map) + names_offset;
  for (int f = 0; f < kFunctionCount; ++f) copy(names + std::size_t(f) * fmt::kNameLen, fmt::kNameLen, kFunctionNames[f]);

  // Whatever the private tables hold so far (communicator bookkeeping before recording began).
  auto* blocks = reinterpret_cast<ThreadTables*>(reinterpret_cast<char*>(map) + threads_offset);
  for (int t = 0; t < kMaxThreads; ++t) {
    if (g_tables[t].overflows) blocks[t].overflows = g_tables[t].overflows;
  }
  g_tables = blocks;
  g_live.header = h;
  g_live.size = size;
  __atomic_thread_fence(__ATOMIC_RELEASE);
  live_note_thread_claimed(thread_slots_claimed());
  live_control_begin();
  h->state = fmt::kRunning;
  live_control_end();
  return true;
}

live::format::Header* live_header() { return g_live.header; }
const char* live_table_path() { return g_live.header ? g_live.path : ""; }

void live_control_begin() {
  if (fmt::Header* h = g_live.header) row_open(h->control_seq);
}
void live_control_end() {
  if (fmt::Header* h = g_live.header) row_close(h->control_seq);
}

void live_set_counter_names(const char* const* names, int count) {
  fmt::Header* h = g_live.header;
  if (!h) return;
  if (count > int(fmt::kCounterSlots)) count = int(fmt::kCounterSlots);
  for (int i = 0; i < count; ++i) copy(h->counter_names[i], fmt::kCounterNameLen, names[i]);
  h->counter_count = std::uint32_t(count);
}

void live_series_append(const fmt::SeriesPoint& p, std::uint64_t tick, bool last) {
  fmt::Header* h = g_live.header;
  if (!h) return;
  auto* points = reinterpret_cast<fmt::SeriesPoint*>(reinterpret_cast<char*>(h) + h->series_offset);
  std::uint64_t stride = std::uint64_t{1} << h->decimations;
  if (!last && tick % stride != 0) return;
  if (h->series_count >= h->series_cap) {
    const std::uint64_t kept = (h->series_count + 1) / 2;
    for (std::uint64_t i = 1; i < kept; ++i) points[i] = points[2 * i];
    h->series_count = kept;
    ++h->decimations;
    h->series_step_ns *= 2;
    stride *= 2;
    if (!last && tick % stride != 0) return;
  }
  points[h->series_count] = p;
  ++h->series_count;
}

void live_table_finish(std::uint32_t state, std::int64_t end_ns, bool remove) {
  fmt::Header* h = g_live.header;
  if (!h) return;
  live_control_begin();
  h->end_ns = end_ns;
  h->state = state;
  live_control_end();
  if (remove && g_live.dir_fd >= 0) unlinkat(g_live.dir_fd, g_live.name, 0);
  if (g_live.dir_fd >= 0) close(g_live.dir_fd);
  g_live.dir_fd = -1;
}

int live_series_copy(std::vector<fmt::SeriesPoint>* points, char (*names)[fmt::kCounterNameLen], int name_cap) {
  fmt::Header* h = g_live.header;
  if (!h) return 0;
  const auto* p = reinterpret_cast<const fmt::SeriesPoint*>(reinterpret_cast<char*>(h) + h->series_offset);
  points->assign(p, p + (h->series_count < h->series_cap ? h->series_count : h->series_cap));
  int n = int(h->counter_count) < name_cap ? int(h->counter_count) : name_cap;
  for (int i = 0; i < n; ++i) copy(names[i], fmt::kCounterNameLen, h->counter_names[i]);
  return n;
}

void live_note_thread_claimed(std::uint32_t slots) {
  fmt::Header* h = __atomic_load_n(&g_live.header, __ATOMIC_ACQUIRE);
  if (!h) return;
  std::uint64_t cur = __atomic_load_n(&h->threads_used, __ATOMIC_RELAXED);
  while (cur < slots && !__atomic_compare_exchange_n(&h->threads_used, &cur, slots, true, __ATOMIC_RELAXED,
                                                     __ATOMIC_RELAXED)) {
  }
}

}  // namespace hpcmon::mpi
