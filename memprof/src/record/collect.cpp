// Collecting a step's profiles from its run directory (memprof_record.hpp).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "hpcmon/memprof_record.hpp"

namespace hpcmon::mem {
namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() { if (fd >= 0) ::close(fd); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

bool is_profile_name(const std::string& n) {
  return n.size() > 8 && n[0] != '.' && n.compare(n.size() - 8, 8, ".memprof") == 0;
}

}  // namespace

ProfileFiles::ProfileFiles(ProfileFiles&& other) noexcept
    : run_dir(std::move(other.run_dir)), files(std::move(other.files)), problems(std::move(other.problems)),
      run_dir_missing(other.run_dir_missing) {
  other.files.clear();
}

ProfileFiles& ProfileFiles::operator=(ProfileFiles&& other) noexcept {
  if (this != &other) {
    for (File& f : files) ::close(f.fd);
    run_dir = std::move(other.run_dir);
    files = std::move(other.files);
    problems = std::move(other.problems);
    run_dir_missing = other.run_dir_missing;
    other.files.clear();
  }
  return *this;
}

ProfileFiles::~ProfileFiles() {
  for (File& f : files) ::close(f.fd);
}

ProfileFiles open_profile_files(const std::string& run_dir, unsigned uid, uint64_t max_bytes, std::size_t max_files) {
  ProfileFiles out;
  out.run_dir = run_dir;
  Fd dir(::open(run_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st{};
  if (dir.fd < 0) {
    out.run_dir_missing = errno == ENOENT;
    out.problems.push_back(run_dir + ": " + std::strerror(errno));
    return out;
  }
  if (::fstat(dir.fd, &st) != 0 || st.st_uid != uid) {
    out.problems.push_back(run_dir + ": not owned by uid " + std::to_string(uid));
    return out;
  }
  std::vector<std::string> names;
  if (DIR* listing = ::fdopendir(::dup(dir.fd))) {
    while (dirent* e = ::readdir(listing))
      if (is_profile_name(e->d_name)) names.emplace_back(e->d_name);
    ::closedir(listing);
  }
  std::sort(names.begin(), names.end());
  if (names.size() > max_files) {
    out.problems.push_back(run_dir + ": " + std::to_string(names.size()) + " profiles, only the first " +
                           std::to_string(max_files) + " taken");
    names.resize(max_files);
  }
  for (const std::string& name : names) {
    const int fd = ::openat(dir.fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      out.problems.push_back(name + ": " + std::strerror(errno));
      continue;
    }
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != uid ||
        static_cast<uint64_t>(st.st_size) > max_bytes) {
      ::close(fd);
      out.problems.push_back(name + ": refused (not a regular file of uid " + std::to_string(uid) + " of at most " +
                             std::to_string(max_bytes) + " bytes)");
      continue;
    }
    out.files.push_back({name, fd});
  }
  return out;
}

Collected collect_step_profiles(const ProfileFiles& files, unsigned uid, const std::string& job,
                                const std::string& step, uint64_t max_bytes) {
  Collected out;
  out.problems = files.problems;
  out.run_dir_missing = files.run_dir_missing;
  out.files_seen = files.files.size();
  for (const ProfileFiles::File& f : files.files) {
    struct stat st{};
    if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != uid ||
        static_cast<uint64_t>(st.st_size) > max_bytes) {
      out.problems.push_back(f.name + ": refused (no longer a regular file of uid " + std::to_string(uid) +
                             " of at most " + std::to_string(max_bytes) + " bytes)");
      continue;
    }
    try {
      // Read through the descriptor already checked, never the name again.
      Profile p = read_profile("/proc/self/fd/" + std::to_string(f.fd));
      p.path = files.run_dir + "/" + f.name;
      const bool same_step = p.slurm_step == step || (p.slurm_step.empty() && step == "batch");
      if (p.slurm_job != job || !same_step) continue;  // another step of the job
      out.processes.push_back(to_stored(p, analyse(p)));
      out.processes.back().name = p.host + "." + std::to_string(p.pid);
    } catch (const std::exception& e) {
      out.problems.push_back(f.name + ": " + e.what());
    }
  }
  return out;
}

Collected collect_step_profiles(const std::string& run_dir, unsigned uid, const std::string& job,
                                const std::string& step, uint64_t max_bytes) {
  return collect_step_profiles(open_profile_files(run_dir, uid, max_bytes), uid, job, step, max_bytes);
}

StoredProcess to_stored(const Profile& p, const Analysis& a, std::size_t top_sites) {
  StoredProcess s;
  s.name = p.host + "." + std::to_string(p.pid);
  s.host = p.host;
  s.exe = p.exe;
  s.pid = p.pid;
  s.rank = p.rank;
  s.start_ns = p.start_ns;
  s.end_ns = p.end_ns;
  s.allocations = p.allocations;
  s.allocated_bytes = p.allocated_bytes;
  s.frees = p.frees;
  s.freed_bytes = p.freed_bytes;
  s.peak_live_bytes = p.peak_live_bytes;
  s.live_blocks = p.live_blocks;
  s.live_bytes = p.live_bytes;
  s.rss_hwm_bytes = p.rss_hwm_bytes;
  s.efficiency = a.efficiency;
  s.partial = p.partial;
  s.samples = p.samples;
  s.size_classes = p.size_classes;
  for (const LeakSite& l : a.user_leaks) {
    if (s.user_leaks.size() >= top_sites) break;
    s.user_leaks.push_back({l.frame.function, l.frame.file, l.frame.module, l.frame.line, l.count, l.bytes});
  }
  s.library_leaks = a.library_leaks;
  s.unattributed_count = a.unattributed_count;
  s.unattributed_bytes = a.unattributed_bytes;
  return s;
}

}  // namespace hpcmon::mem
