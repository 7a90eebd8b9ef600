#include "hpcmon/sampler/proc_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace hpcmon::sampler {

ProcFile::ProcFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) open_errno_ = errno;
  buffer_.resize(4096);
}

ProcFile::ProcFile(ProcFile&& other) noexcept
    : path_(std::move(other.path_)),
      buffer_(std::move(other.buffer_)),
      fd_(std::exchange(other.fd_, -1)),
      open_errno_(other.open_errno_),
      last_errno_(other.last_errno_) {}

ProcFile& ProcFile::operator=(ProcFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    buffer_ = std::move(other.buffer_);
    fd_ = std::exchange(other.fd_, -1);
    open_errno_ = other.open_errno_;
    last_errno_ = other.last_errno_;
  }
  return *this;
}

ProcFile::~ProcFile() {
  if (fd_ >= 0) ::close(fd_);
}

bool ProcFile::read(std::string_view& text) {
  if (fd_ < 0) {
    last_errno_ = open_errno_;
    return false;
  }
  // /proc files are generated whole at offset 0; grow until one pread holds all of it.
  for (;;) {
    ssize_t n = ::pread(fd_, buffer_.data(), buffer_.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      last_errno_ = errno;
      return false;
    }
    if (static_cast<std::size_t>(n) < buffer_.size()) {
      text = std::string_view(buffer_.data(), static_cast<std::size_t>(n));
      return true;
    }
    buffer_.resize(buffer_.size() * 2);
  }
}

std::string read_small_file(const std::string& path) {
  ProcFile f(path);
  std::string_view text;
  if (!f.read(text)) return {};
  return std::string(text);
}

}  // namespace hpcmon::sampler
