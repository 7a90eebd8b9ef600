// The optional /memory group of a job record (format docs/job-record.md, "/memory"): one
// subgroup per profiled process with its totals, live-bytes series, size classes, the user's
// leak sites (already symbolised) and the leaks by library.
// What it owns: collecting a step's *.memprof files from its run directory safely, and the
// group's on-disk layout. It never runs as root against user files: the node agent calls
// collect_step_profiles in its writer child, after it has dropped to the job's uid, so the
// user's binaries are read (for symbols) with the user's rights only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hpcmon/memprof_report.hpp"

namespace hpcmon::mem {

struct StoredLeak {
  std::string function, file, object;  // object: the ELF file of the frame
  int line = 0;
  uint64_t count = 0, bytes = 0;
};

struct StoredProcess {
  std::string name;  // "<host>.<pid>", the subgroup's name
  std::string host, exe;
  uint64_t pid = 0;
  std::optional<int64_t> rank;
  uint64_t start_ns = 0, end_ns = 0;
  uint64_t allocations = 0, allocated_bytes = 0, frees = 0, freed_bytes = 0;
  uint64_t peak_live_bytes = 0, live_blocks = 0, live_bytes = 0, rss_hwm_bytes = 0;
  double efficiency = 0;
  bool partial = false;
  std::vector<LiveSample> samples;
  std::vector<SizeClassCount> size_classes;
  std::vector<StoredLeak> user_leaks;          // by bytes, largest first
  std::vector<LibraryLeaks> library_leaks;     // by bytes, largest first
  uint64_t unattributed_count = 0, unattributed_bytes = 0;
};

StoredProcess to_stored(const Profile& profile, const Analysis& analysis, std::size_t top_sites = 20);

struct Collected {
  std::vector<StoredProcess> processes;
  std::vector<std::string> problems;  // one line per refused or unreadable file
  bool run_dir_missing = false;       // the run directory was gone
  std::size_t files_seen = 0;         // *.memprof files of any step
};

// The `*.memprof` files of a run directory, held open: the folder and each file opened
// O_NOFOLLOW (files also O_NONBLOCK), fstat'ed owned by `uid`, regular, at most `max_bytes`.
// Safe for root to make (nothing is read but the listing and fstat): the node agent secures a
// job's profiles this way before the job's epilog removes the run directory, and its writer
// child reads them later through the descriptors. Move-only; closes what it holds.
struct ProfileFiles {
  struct File {
    std::string name;
    int fd = -1;
  };
  std::string run_dir;
  std::vector<File> files;              // sorted by name
  std::vector<std::string> problems;    // one line per refused file, or the folder's
  bool run_dir_missing = false;         // the folder was gone (ENOENT)
  ProfileFiles() = default;
  ProfileFiles(ProfileFiles&& other) noexcept;
  ProfileFiles& operator=(ProfileFiles&& other) noexcept;
  ProfileFiles(const ProfileFiles&) = delete;
  ProfileFiles& operator=(const ProfileFiles&) = delete;
  ~ProfileFiles();
};
ProfileFiles open_profile_files(const std::string& run_dir, unsigned uid, uint64_t max_bytes = 64u << 20,
                                std::size_t max_files = 4096);

// Reads, analyses and symbolises the profiles of one Slurm step among `files` (the profile's
// slurm_job must be `job`, and its slurm_step `step`; a profile without a step is the batch
// step's: the batch script's processes have no SLURM_STEP_ID). Each is read through its
// descriptor (/proc/self/fd/N), never by name; the fstat checks are made again.
Collected collect_step_profiles(const ProfileFiles& files, unsigned uid, const std::string& job,
                                const std::string& step, uint64_t max_bytes = 64u << 20);
// The same from `<run_dir>` (open_profile_files, then the above).
Collected collect_step_profiles(const std::string& run_dir, unsigned uid, const std::string& job,
                                const std::string& step, uint64_t max_bytes = 64u << 20);

// /memory in an HDF5 file (created or extended; a process already there is replaced).
void write_memory_group(const std::string& h5_path, const std::vector<StoredProcess>& processes);
// Empty when the file has no /memory group. Throws std::runtime_error on an unreadable file.
std::vector<StoredProcess> read_memory_group(const std::string& h5_path);
// Copies /memory of each input into `out` (the merge of node partials into a canonical record).
void carry_memory_groups(const std::string& out, const std::vector<std::string>& inputs);

// The "Memory" section of `hpcmon report`; empty when there are no processes.
std::string render_memory_section(const std::vector<StoredProcess>& processes, int top_sites = 5);

}  // namespace hpcmon::mem
