#include "hpcmon/agent/spool.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace hpcmon::agent {
namespace {

namespace fs = std::filesystem;

// Writes a whole file atomically: temporary, fsync, rename.
void write_atomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.parent_path() / (".tmp-" + path.filename().string());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error(tmp.string() + ": " + std::strerror(errno));
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw std::runtime_error(tmp.string() + ": " + std::strerror(e));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error(path.string() + ": " + std::strerror(errno));
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string random_instance() {
  unsigned char bytes[8] = {};
  const int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    (void)!::read(fd, bytes, sizeof bytes);
    ::close(fd);
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) out += {hex[b >> 4], hex[b & 15]};
  return out;
}

}  // namespace

Spool::Spool(fs::path dir, std::uint64_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {
  std::error_code ec;
  fs::create_directories(dir_.parent_path(), ec);  // e.g. /var/lib/hpcmon on a fresh node; errors show below
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST)
    throw std::runtime_error(dir_.string() + ": mkdir: " + std::strerror(errno));
  struct stat st{};
  if (::lstat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077))
    throw std::runtime_error(dir_.string() + ": the spool must be a folder of uid " + std::to_string(::geteuid()) +
                             " with mode 0700");
  lock_fd_ = ::open((dir_ / "lock").c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) throw std::runtime_error(dir_.string() + "/lock: " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    ::close(lock_fd_);
    throw std::runtime_error(dir_.string() + (e == EWOULDBLOCK ? ": in use by another hpcmond --agent (give each agent its own agent.spool_dir)"
                                                               : ": lock: " + std::string(std::strerror(e))));
  }
  instance_ = read_text(dir_ / "instance");
  instance_.erase(std::remove(instance_.begin(), instance_.end(), '\n'), instance_.end());
  if (instance_.size() != 16 || instance_.find_first_not_of("0123456789abcdef") != std::string::npos) {
    instance_ = random_instance();
    write_atomically(dir_ / "instance", instance_ + "\n");
  }
  const std::string saved = read_text(dir_ / "next_seq");
  std::from_chars(saved.data(), saved.data() + saved.size(), next_seq_);
  if (next_seq_ == 0) next_seq_ = 1;
  for (const auto& item : fs::directory_iterator(dir_)) {
    const std::string name = item.path().filename().string();
    if (name.rfind(".tmp-", 0) == 0) {  // an interrupted write
      fs::remove(item.path());
      continue;
    }
    // <20 digits>.<kind>.json
    if (name.size() < 27 || name.compare(name.size() - 5, 5, ".json") != 0 || name[20] != '.') continue;
    SpoolEntry e;
    if (std::from_chars(name.data(), name.data() + 20, e.seq).ec != std::errc()) continue;
    e.kind = name.substr(21, name.size() - 26);
    e.bytes = item.file_size();
    entries_.push_back(e);
    bytes_ += e.bytes;
    next_seq_ = std::max(next_seq_, e.seq + 1);
  }
  std::sort(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
}

Spool::~Spool() { ::close(lock_fd_); }  // releases the flock

fs::path Spool::file_of(const SpoolEntry& e) const {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu", static_cast<unsigned long long>(e.seq));
  return dir_ / (std::string(name) + "." + e.kind + ".json");
}

void Spool::save_next_seq() { write_atomically(dir_ / "next_seq", std::to_string(next_seq_) + "\n"); }

void Spool::store(std::uint64_t seq, const std::string& kind, const std::string& body) {
  save_next_seq();  // before the message: a crash never hands the same number out twice
  SpoolEntry e{seq, kind, body.size()};
  // Make room: oldest live samples first, then the oldest of anything.
  auto drop = [&](bool samples_only) {
    for (auto it = entries_.begin(); it != entries_.end() && bytes_ + e.bytes > max_bytes_;) {
      if (samples_only && it->kind != "samples") {
        ++it;
        continue;
      }
      ::unlink(file_of(*it).c_str());
      bytes_ -= it->bytes;
      ++dropped_;
      it = entries_.erase(it);
    }
  };
  drop(true);
  drop(false);
  if (bytes_ + e.bytes > max_bytes_) {  // one message larger than the whole spool
    ++dropped_;
    return;
  }
  write_atomically(file_of(e), body);
  entries_.push_back(e);
  bytes_ += e.bytes;
}

std::vector<SpoolEntry> Spool::pending() const {
  std::lock_guard lock(mutex_);
  return entries_;
}

std::optional<std::string> Spool::read(const SpoolEntry& e) const {
  std::ifstream in(file_of(e), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void Spool::remove(std::uint64_t seq) {
  std::lock_guard lock(mutex_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it)
    if (it->seq == seq) {
      ::unlink(file_of(*it).c_str());
      bytes_ -= it->bytes;
      entries_.erase(it);
      return;
    }
}

std::uint64_t Spool::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}
std::uint64_t Spool::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}
std::uint64_t Spool::next_seq() const {
  std::lock_guard lock(mutex_);
  return next_seq_;
}

}  // namespace hpcmon::agent
