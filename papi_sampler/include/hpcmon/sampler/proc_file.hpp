// A /proc or /sys file opened once and re-read with pread at offset 0, so a sample
// costs one system call and no path lookup. For /proc/<pid>/* files the descriptor
// stays bound to that process: once it exits, reads fail (ESRCH) even if the pid is reused.
#pragma once

#include <string>
#include <string_view>

namespace hpcmon::sampler {

class ProcFile {
 public:
  ProcFile() = default;
  explicit ProcFile(const std::string& path);
  ProcFile(ProcFile&& other) noexcept;
  ProcFile& operator=(ProcFile&& other) noexcept;
  ProcFile(const ProcFile&) = delete;
  ProcFile& operator=(const ProcFile&) = delete;
  ~ProcFile();

  bool is_open() const { return fd_ >= 0; }
  int open_errno() const { return open_errno_; }
  const std::string& path() const { return path_; }
  // The whole file as it is now; nullopt-like empty view with ok=false on error.
  // The view stays valid until the next read().
  bool read(std::string_view& text);
  int last_errno() const { return last_errno_; }

 private:
  std::string path_;
  std::string buffer_;
  int fd_ = -1;
  int open_errno_ = 0;
  int last_errno_ = 0;
};

// One-shot read of a small file (sysfs attributes, mountinfo); empty on error.
std::string read_small_file(const std::string& path);

}  // namespace hpcmon::sampler
