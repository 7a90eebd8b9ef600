// The per-process profile, written once at exit with system calls only (no stdio, no
// allocation): a temporary file created O_EXCL|O_NOFOLLOW mode 0600 in the profile folder, then
// renamed to <host>.<pid>.memprof. Format: docs/memory-profiling.md.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "state.hpp"

namespace hpcmon::mem {
namespace {

// Buffered output to one descriptor; failures are remembered, not retried.
class Out {
 public:
  explicit Out(int fd) : fd_(fd) {}
  ~Out() { flush(); }
  Out(const Out&) = delete;
  Out& operator=(const Out&) = delete;
  bool ok() const { return ok_; }
  Out& text(const char* s) { return bytes(s, strlen(s)); }
  // Text without control characters (paths and host names end at a newline otherwise).
  Out& clean(const char* s) {
    for (; *s != '\0'; ++s) put(static_cast<unsigned char>(*s) < 0x20 ? '?' : *s);
    return *this;
  }
  Out& bytes(const char* s, size_t n) {
    for (size_t i = 0; i < n; ++i) put(s[i]);
    return *this;
  }
  Out& num(uint64_t v) {
    char digits[24];
    int n = 0;
    do digits[n++] = static_cast<char>('0' + v % 10); while ((v /= 10) != 0);
    while (n > 0) put(digits[--n]);
    return *this;
  }
  Out& snum(int64_t v) {
    if (v < 0) {
      put('-');
      return num(static_cast<uint64_t>(-(v + 1)) + 1);
    }
    return num(static_cast<uint64_t>(v));
  }
  Out& hex(uint64_t v) {
    char digits[16];
    int n = 0;
    do digits[n++] = "0123456789abcdef"[v & 15]; while ((v >>= 4) != 0);
    put('0').put('x');
    while (n > 0) put(digits[--n]);
    return *this;
  }
  Out& put(char c) {
    if (used_ == sizeof buffer_) flush();
    buffer_[used_++] = c;
    return *this;
  }
  Out& kv(const char* key, uint64_t v) { return text(key).put(' ').num(v).put('\n'); }
  void flush() {
    size_t done = 0;
    while (ok_ && done < used_) {
      const ssize_t n = write(fd_, buffer_ + done, used_ - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) ok_ = false;
      else done += static_cast<size_t>(n);
    }
    used_ = 0;
  }

 private:
  int fd_;
  bool ok_ = true;
  size_t used_ = 0;
  char buffer_[16384];
};

// The folder: HPCMON_RUN_DIR, else HPCMON_OUTPUT_DIR, else /tmp/hpcmon-mem-<uid> (created 0700
// and refused unless it is ours and private: /tmp is shared).
int open_profile_dir() {
  for (const char* name : {"HPCMON_RUN_DIR", "HPCMON_OUTPUT_DIR"}) {
    const char* dir = getenv(name);
    if (dir != nullptr && *dir != '\0') return open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }
  char path[64] = "/tmp/hpcmon-mem-";
  {
    char digits[24];
    int n = 0;
    unsigned v = getuid();
    do digits[n++] = static_cast<char>('0' + v % 10); while ((v /= 10) != 0);
    size_t len = strlen(path);
    while (n > 0) path[len++] = digits[--n];
    path[len] = '\0';
  }
  if (mkdir(path, 0700) != 0 && errno != EEXIST) return -1;
  const int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd >= 0 && (fstat(fd, &st) != 0 || st.st_uid != getuid() || (st.st_mode & 077) != 0)) {
    close(fd);
    errno = EPERM;
    return -1;
  }
  return fd;
}

// "VmHWM:    1234 kB" from /proc/self/status, in bytes.
uint64_t read_rss_hwm_bytes() {
  const int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  static char text[8192];
  const ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return 0;
  text[n] = '\0';
  const char* p = strstr(text, "VmHWM:");
  if (p == nullptr) return 0;
  p += 6;
  while (*p == ' ' || *p == '\t') ++p;
  uint64_t kb = 0;
  while (*p >= '0' && *p <= '9') kb = kb * 10 + static_cast<uint64_t>(*p++ - '0');
  return kb * 1024;
}

// File-backed lines of /proc/self/maps, verbatim: the load bases for offline symbolisation.
void copy_maps(Out& out) {
  const int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  static char chunk[8192];
  static char line[4608];
  size_t used = 0;
  for (;;) {
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      if (chunk[i] != '\n') {
        if (used < sizeof line) line[used++] = chunk[i];
        continue;
      }
      const void* slash = memchr(line, '/', used);
      if (slash != nullptr && used < sizeof line) out.text("map ").bytes(line, used).put('\n');
      used = 0;
    }
  }
  close(fd);
}

void write_site(Out& out, uint32_t id, const Site& site) {
  out.text("site ").num(id).put(' ').num(site.epoch).put(' ').num(site.allocs.load(std::memory_order_relaxed)).put(' ')
      .num(site.bytes.load(std::memory_order_relaxed)).put(' ').num(site.leak_count).put(' ')
      .num(site.leak_bytes);
  for (uint32_t f = 0; f < site.depth; ++f) out.put(' ').hex(site.frames[f]);
  out.put('\n');
}

void write_sites(Out& out) {
  Site* sites = site_table();
  if (sites == nullptr) return;
  const uint32_t used = site_count();
  static bool written[kSiteCapacity];
  for (uint32_t i = 1; i < used; ++i) {
    if (sites[i].hash.load(std::memory_order_acquire) != 0 && sites[i].leak_count > 0) {
      write_site(out, i, sites[i]);
      written[i] = true;
    }
  }
  // And the sites that allocated most, leaking or not.
  for (int round = 0; round < kTopAllocationSites; ++round) {
    uint32_t best = 0;
    uint64_t best_bytes = 0;
    for (uint32_t i = 1; i < used; ++i) {
      if (written[i] || sites[i].hash.load(std::memory_order_acquire) == 0) continue;
      const uint64_t bytes = sites[i].bytes.load(std::memory_order_relaxed);
      if (bytes > best_bytes) best = i, best_bytes = bytes;
    }
    if (best == 0) break;
    write_site(out, best, sites[best]);
    written[best] = true;
  }
}

void write_identity(Out& out) {
  out.text(kProfileMagic).put(' ').num(kProfileVersion).put('\n');
  out.kv("pid", static_cast<uint64_t>(getpid()));
  struct utsname names;
  if (uname(&names) == 0) out.text("host ").clean(names.nodename).put('\n');
  static char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    out.text("exe ").clean(exe).put('\n');
  }
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
    const char* rank = getenv(name);
    if (rank != nullptr && *rank != '\0' && strspn(rank, "0123456789") == strlen(rank)) {
      out.text("rank ").text(rank).put('\n');
      break;
    }
  }
  const char* job = getenv("SLURM_JOB_ID");
  if (job != nullptr && *job != '\0') out.text("slurm_job ").clean(job).put('\n');
  // The SPANK plugin names the step it preloaded us for (HPCMON_MEM_STEP): the batch script's
  // processes have no SLURM_STEP_ID, and mpirun's ranks inside it inherit the script's.
  const char* step = getenv("HPCMON_MEM_STEP");
  if (step == nullptr || *step == '\0') step = getenv("SLURM_STEP_ID");
  if (step != nullptr && *step != '\0') out.text("slurm_step ").clean(step).put('\n');
}

void write_body(Out& out) {
  // Totals over every thread's counters.
  uint64_t calls[static_cast<int>(Fn::count)] = {};
  uint64_t allocs = 0, alloc_bytes = 0, frees = 0, freed_bytes = 0, mmap_bytes = 0, anon = 0, unmapped = 0;
  static uint64_t class_count[kSizeClasses], class_bytes[kSizeClasses];
  const int used = thread_slots_used.load(std::memory_order_relaxed);
  for (int s = 0; s < kThreadSlots; ++s) {
    if (s >= used && s != kThreadSlots - 1) continue;
    const ThreadStats& t = thread_slots[s];
    for (int f = 0; f < static_cast<int>(Fn::count); ++f) calls[f] += t.calls[f].load(std::memory_order_relaxed);
    allocs += t.allocs.load(std::memory_order_relaxed);
    alloc_bytes += t.alloc_bytes.load(std::memory_order_relaxed);
    frees += t.frees.load(std::memory_order_relaxed);
    freed_bytes += t.freed_bytes.load(std::memory_order_relaxed);
    mmap_bytes += t.mmap_bytes.load(std::memory_order_relaxed);
    anon += t.mmap_anon_bytes.load(std::memory_order_relaxed);
    unmapped += t.munmap_bytes.load(std::memory_order_relaxed);
    for (int k = 0; k < kSizeClasses; ++k) {
      class_count[k] += t.class_count[k].load(std::memory_order_relaxed);
      class_bytes[k] += t.class_bytes[k].load(std::memory_order_relaxed);
    }
  }
  // Blocks still live: leaks, by call site.
  Site* sites = site_table();
  uint64_t live_blocks = 0, live_bytes = 0, unattributed = 0, unattributed_bytes = 0;
  blocks_for_each([&](const BlockSlot& slot) {
    ++live_blocks;
    live_bytes += slot.size;
    if (slot.site != 0 && sites != nullptr) {
      ++sites[slot.site].leak_count;
      sites[slot.site].leak_bytes += slot.size;
    } else {
      ++unattributed;
      unattributed_bytes += slot.size;
    }
  });
  int64_t peak = peak_live_bytes.load(std::memory_order_relaxed);
  if (static_cast<int64_t>(live_bytes) > peak) peak = static_cast<int64_t>(live_bytes);

  out.kv("start_ns", start_realtime_ns);
  out.kv("end_ns", realtime_ns());
  out.kv("threads", static_cast<uint64_t>(used));
  out.kv("depth", static_cast<uint64_t>(settings.depth));
  const uint64_t untracked = untracked_blocks.load(std::memory_order_relaxed);
  const uint64_t dropped = sites_dropped.load(std::memory_order_relaxed);
  out.kv("partial", untracked != 0 || dropped != 0 || used > kThreadSlots ? 1 : 0);
  out.kv("untracked_blocks", untracked);
  out.kv("untracked_frees", untracked_frees.load(std::memory_order_relaxed));
  out.kv("sites_dropped", dropped);
  out.kv("bootstrap_allocations", arena_allocations.load(std::memory_order_relaxed));
  for (int f = 0; f < static_cast<int>(Fn::count); ++f)
    out.text("call ").text(kFnNames[f]).put(' ').num(calls[f]).put('\n');
  out.kv("allocations", allocs);
  out.kv("allocated_bytes", alloc_bytes);
  out.kv("frees", frees);
  out.kv("freed_bytes", freed_bytes);
  out.kv("live_blocks", live_blocks);
  out.kv("live_bytes", live_bytes);
  out.kv("peak_live_bytes", static_cast<uint64_t>(peak));
  out.kv("rss_bytes", read_rss_bytes());
  out.kv("rss_hwm_bytes", read_rss_hwm_bytes());
  out.kv("mmap_bytes", mmap_bytes);
  out.kv("mmap_anonymous_bytes", anon);
  out.kv("munmap_bytes", unmapped);
  out.text("unattributed_leaks ").num(unattributed).put(' ').num(unattributed_bytes).put('\n');
  for (int k = 0; k < kSizeClasses; ++k)
    if (class_count[k] != 0) out.text("class ").num(static_cast<uint64_t>(k)).put(' ').num(class_count[k]).put(' ').num(class_bytes[k]).put('\n');
  static SeriesPoint points[kSeriesPoints];
  const int n = series_snapshot(points, kSeriesPoints);
  for (int i = 0; i < n; ++i)
    out.text("sample ").num(points[i].t_ns).put(' ').snum(points[i].live).put(' ').num(points[i].rss).put('\n');
  write_sites(out);
  copy_maps(out);
  const int unloaded = unloaded_count.load(std::memory_order_acquire);
  for (int i = 0; i < unloaded && i < kUnloadedObjects; ++i)
    out.text("unloaded ").num(unloaded_objects[i].epoch).put(' ').hex(unloaded_objects[i].base).put(' ').clean(unloaded_objects[i].path).put('\n');
  out.text("end\n");
}

void complain(const char* what) {
  Out err(2);
  err.text("hpcmon memprof: ").text(what).text(": ").text(strerror(errno)).put('\n');
}

}  // namespace

void write_profile() {
  static std::atomic<bool> done{false};
  if (!tracking_ready() || done.exchange(true)) return;
  ReentryGuard guard;
  const int saved_errno = errno;
  sample_now();
  const int dir = open_profile_dir();
  if (dir < 0) {
    complain("no profile folder (HPCMON_RUN_DIR, HPCMON_OUTPUT_DIR or /tmp/hpcmon-mem-<uid>)");
    errno = saved_errno;
    return;
  }
  static char name[320], temp[330];
  {
    struct utsname names;
    if (uname(&names) != 0) strcpy(names.nodename, "host");
    for (char* c = names.nodename; *c != '\0'; ++c)
      if (*c == '/' || static_cast<unsigned char>(*c) < 0x20) *c = '_';
    char digits[24];
    int n = 0;
    unsigned long pid = static_cast<unsigned long>(getpid());
    do digits[n++] = static_cast<char>('0' + pid % 10); while ((pid /= 10) != 0);
    size_t len = 0;
    for (const char* c = names.nodename; *c != '\0' && len < 256; ++c) name[len++] = *c;
    name[len++] = '.';
    while (n > 0) name[len++] = digits[--n];
    memcpy(name + len, ".memprof", sizeof ".memprof");
    temp[0] = '.';
    strcpy(temp + 1, name);
    strcat(temp, ".tmp");
  }
  const int fd = openat(dir, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    complain("cannot create the profile");
    close(dir);
    errno = saved_errno;
    return;
  }
  bool ok;
  {
    Out out(fd);
    write_identity(out);
    write_body(out);
    out.flush();
    ok = out.ok();
  }
  ok = close(fd) == 0 && ok;
  if (!ok || renameat(dir, temp, dir, name) != 0) {
    complain("cannot write the profile");
    unlinkat(dir, temp, 0);
  }
  close(dir);
  errno = saved_errno;
}

}  // namespace hpcmon::mem
