// A scratch v1 memory cgroup below this test process's own (root only, on hosts whose v1
// memory hierarchy is writable): an outer level with a limit and an inner one without, so the
// effective limit of a process in the inner level comes from its parent. Removed at the end
// (its processes must have ended by then).
#pragma once

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>

#include "hpcmon/agent/cgroup_limits.hpp"

namespace hpcmon::agent::test {

class ScratchMemoryCgroup {
 public:
  explicit ScratchMemoryCgroup(std::uint64_t limit_bytes) {
    const CgroupMounts mounts = read_cgroup_mounts();
    std::ifstream own("/proc/self/cgroup");
    const std::string text((std::istreambuf_iterator<char>(own)), std::istreambuf_iterator<char>());
    const ProcCgroups cgroups = parse_proc_cgroup(text);
    if (!mounts.v1_memory || !cgroups.v1_memory || mounts.v1_memory->root != "/") return;
    relative_ = *cgroups.v1_memory + (cgroups.v1_memory->back() == '/' ? "" : "/") + "hpcmon-test-" +
                std::to_string(getpid()) + "-" + std::to_string(++counter());
    outer_ = mounts.v1_memory->mount_point + relative_;
    if (::mkdir(outer_.c_str(), 0755) != 0) return;
    if (::mkdir((outer_ + "/inner").c_str(), 0755) != 0 ||
        !write(outer_ + "/memory.limit_in_bytes", std::to_string(limit_bytes))) {
      remove();
      return;
    }
    ok_ = true;
  }
  ~ScratchMemoryCgroup() { remove(); }
  bool ok() const { return ok_; }
  bool add(pid_t pid) const { return write(outer_ + "/inner/cgroup.procs", std::to_string(pid)); }
  // What the kernel made of the limit (rounded to pages), as the limit file says.
  std::string limit_text() const {
    std::ifstream in(outer_ + "/memory.limit_in_bytes");
    std::string value;
    in >> value;
    return value;
  }
  const std::string& relative() const { return relative_; }  // below the mount: the level with the limit

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  static bool write(const std::string& path, const std::string& value) {
    std::ofstream out(path);
    out << value;
    out.flush();
    return static_cast<bool>(out);
  }
  void remove() {
    if (outer_.empty()) return;
    ::rmdir((outer_ + "/inner").c_str());
    ::rmdir(outer_.c_str());
    outer_.clear();
  }
  std::string relative_, outer_;
  bool ok_ = false;
};

// A child process that only waits, to be put in a cgroup before it "runs": it exits once
// released (or when this goes), and is reaped.
class WaitingChild {
 public:
  WaitingChild() {
    if (::pipe(release_) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      char c;
      ::close(release_[1]);
      (void)!::read(release_[0], &c, 1);  // until the parent closes its end
      ::_exit(0);
    }
    ::close(release_[0]);
  }
  ~WaitingChild() { release(); }
  WaitingChild(const WaitingChild&) = delete;
  WaitingChild& operator=(const WaitingChild&) = delete;
  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // Lets the child exit and waits for it.
  void release() {
    if (release_[1] < 0) return;
    ::close(release_[1]);
    release_[1] = -1;
    if (pid_ > 0) ::waitpid(pid_, nullptr, 0);
  }

 private:
  int release_[2] = {-1, -1};
  pid_t pid_ = -1;
};

}  // namespace hpcmon::agent::test
