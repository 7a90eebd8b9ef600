// hpcmon memprof, offline side: reads the per-process profiles libhpcmon_mem.so writes,
// symbolises their call stacks with elfutils (libdwfl) against the /proc/self/maps lines the
// profile saved, attributes leaks to the user's code or to a library, and renders the report
// of `hpcmon memprof` (text or JSON). Format: docs/memory-profiling.md.
// What it owns: the attribution rule (which frame is the user's). It never runs in a profiled
// process.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace hpcmon::mem {

class ProfileError : public std::runtime_error {
 public:
  enum class Kind { unreadable, not_profile, unsupported_version, damaged };
  ProfileError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct SizeClassCount { int size_class = 0; uint64_t count = 0, bytes = 0; };
struct LiveSample { uint64_t t_ns = 0; int64_t live_bytes = 0; uint64_t rss_bytes = 0; };
struct SiteRecord {
  uint32_t id = 0;
  uint32_t epoch = 0;  // objects unloaded before the stack was captured (see Profile::unloaded)
  uint64_t allocs = 0, alloc_bytes = 0, leak_count = 0, leak_bytes = 0;
  std::vector<uint64_t> frames;  // return addresses, innermost first
};
struct CallCount { std::string function; uint64_t calls = 0; };

struct Profile {
  std::filesystem::path path;
  int version = 0;
  uint64_t pid = 0;
  std::string host, exe, slurm_job, slurm_step;
  std::optional<int64_t> rank;
  uint64_t start_ns = 0, end_ns = 0, threads = 0, depth = 0;
  bool partial = false;
  uint64_t untracked_blocks = 0, untracked_frees = 0, sites_dropped = 0, bootstrap_allocations = 0;
  std::vector<CallCount> calls;
  uint64_t allocations = 0, allocated_bytes = 0, frees = 0, freed_bytes = 0;
  uint64_t live_blocks = 0, live_bytes = 0, peak_live_bytes = 0, rss_bytes = 0, rss_hwm_bytes = 0;
  uint64_t mmap_bytes = 0, mmap_anonymous_bytes = 0, munmap_bytes = 0;
  uint64_t unattributed_leaks = 0, unattributed_leak_bytes = 0;
  std::vector<SizeClassCount> size_classes;
  std::vector<LiveSample> samples;
  std::vector<SiteRecord> sites;
  std::vector<std::string> maps;  // verbatim /proc/self/maps lines (file-backed)
  // Objects dlclose'd before exit: a site of epoch e whose frame lies in the object of the first
  // unload with epoch > e was in that object (its addresses may hold another object at exit).
  struct Unloaded { uint32_t epoch = 0; uint64_t base = 0; std::string path; };
  std::vector<Unloaded> unloaded;

  uint64_t calls_of(const std::string& function) const;
};

// Throws ProfileError naming the file and line of what is wrong.
Profile read_profile(const std::filesystem::path& path);

struct Frame {
  uint64_t address = 0;
  std::string module;    // path of the object
  std::string symbol;    // ELF symbol, as linked (mangled for C++); empty when unknown
  std::string function;  // the symbol demangled
  std::string file;      // source file, empty without debug info
  int line = 0;
};

// A leak site: the frame that owns the allocation. For the user's code, the first frame of the
// stack in the main executable or a library outside the system folders, once the allocator
// entry points (malloc, strdup, operator new...) are passed; otherwise the library whose own
// code allocated (libmpi, libc, ld.so...), never the user.
struct LeakSite {
  bool user = false;
  std::string owner;  // "user", or the library's file name
  Frame frame;        // the attributing frame (user) or the library's first frame
  std::vector<Frame> stack;
  uint64_t count = 0, bytes = 0;          // never freed at exit
  uint64_t allocs = 0, alloc_bytes = 0;   // all allocations of the stack
};

struct LibraryLeaks { std::string library; uint64_t count = 0, bytes = 0; };

struct Analysis {
  std::vector<LeakSite> user_leaks;        // by bytes, largest first
  std::vector<LibraryLeaks> library_leaks;  // by bytes, largest first
  std::vector<LeakSite> top_allocation_sites;  // by bytes allocated
  uint64_t unattributed_count = 0, unattributed_bytes = 0;
  double efficiency = 0;  // peak live bytes / RSS high-water mark (0 when unknown)
};

Analysis analyse(const Profile& profile);

enum class ReportFormat { text, json };
std::string render_report(const std::vector<Profile>& profiles, const std::vector<Analysis>& analyses,
                          ReportFormat format, int top_sites);

}  // namespace hpcmon::mem
