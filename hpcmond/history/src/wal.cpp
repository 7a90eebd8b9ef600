// Write-ahead log with group commit (wal.hpp).
#include "wal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "io.hpp"

namespace hpcmon::history {
namespace {

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

Wal::Wal(std::filesystem::path dir, SyncMode mode, std::int64_t sync_interval_ns,
         std::function<const std::string&(SeriesRef)> key_of,
         std::function<std::string(std::size_t)> admit)
    : dir_(std::move(dir)), mode_(mode), sync_interval_ns_(sync_interval_ns),
      key_of_(std::move(key_of)), admit_(std::move(admit)) {}

Wal::~Wal() {
  if (fd_ >= 0) {
    if (mode_ != SyncMode::none) ::fdatasync(fd_);
    ::close(fd_);
  }
}

std::filesystem::path Wal::segment_path(const std::filesystem::path& dir, std::uint64_t segment) {
  char name[32];
  std::snprintf(name, sizeof name, "%016llu.wal", static_cast<unsigned long long>(segment));
  return dir / name;
}

std::vector<std::uint64_t> Wal::segments(const std::filesystem::path& dir) {
  std::vector<std::uint64_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() != 20 || name.substr(16) != ".wal") continue;
    if (!std::all_of(name.begin(), name.begin() + 16, [](char c) { return c >= '0' && c <= '9'; })) continue;
    out.push_back(std::stoull(name.substr(0, 16)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Wal::start(std::uint64_t segment) {
  const auto path = segment_path(dir_, segment);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return std::string("cannot create ") + path.string() + ": " + std::strerror(errno);
  if (std::string why = io::sync_dir(dir_); !why.empty()) {
    ::close(fd);
    return "cannot sync " + dir_.string() + ": " + why;
  }
  std::lock_guard lock(mutex_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  segment_ = segment;
  size_ = 0;
  ++generation_;
  return "";
}

std::string Wal::write_batch(const std::string& bytes) {
  if (std::string why = admit_(bytes.size()); !why.empty()) return why;
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done,
                               static_cast<off_t>(size_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : ENOSPC;
      if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) { /* the CRC drops it at replay */ }
      return std::string("write-ahead log: ") + std::strerror(error);
    }
    done += static_cast<std::size_t>(n);
  }
  const bool sync = mode_ == SyncMode::always ||
                    (mode_ == SyncMode::periodic && steady_ns() - last_sync_ns_ >= sync_interval_ns_);
  if (sync) {
    if (::fdatasync(fd_) != 0) {
      const int error = errno;
      if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) { /* dropped at replay by CRC */ }
      return std::string("write-ahead log sync: ") + std::strerror(error);
    }
    last_sync_ns_ = steady_ns();
    std::lock_guard lock(mutex_);
    ++syncs_;
  } else {
    dirty_ = true;
  }
  size_ += bytes.size();
  return "";
}

std::string Wal::commit(std::span<const Write> batch) {
  if (batch.empty()) return "";
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !rotating_; });
  if (fd_ < 0) return "write-ahead log is not open";
  // Frame the record: series defined in this generation of the segment need no definition.
  std::string payload;
  std::vector<SeriesRef> defs;
  for (const Write& write : batch) {
    if (defined_.size() <= write.series) defined_.resize(write.series + 1, 0);
    if (defined_[write.series] != generation_) {
      defined_[write.series] = generation_;
      defs.push_back(write.series);
    }
  }
  io::put_varint(payload, defs.size());
  for (SeriesRef ref : defs) {
    const std::string& key = key_of_(ref);
    io::put_varint(payload, ref);
    io::put_varint(payload, key.size());
    payload += key;
  }
  io::put_varint(payload, batch.size());
  for (const Write& write : batch) {
    io::put_varint(payload, write.series);
    io::put_varint(payload, io::zigzag(write.t_ns));
    io::put_u64(payload, std::bit_cast<std::uint64_t>(write.value));
  }
  io::put_u32(pending_, static_cast<std::uint32_t>(payload.size()));
  io::put_u32(pending_, io::crc32c(payload.data(), payload.size()));
  pending_ += payload;
  const std::uint64_t mine = pending_batch_;
  while (completed_batch_ < mine) {
    if (writing_) {
      changed_.wait(lock);
      continue;
    }
    // Leader: write everything queued so far in one write and one sync.
    std::string bytes = std::move(pending_);
    pending_.clear();
    const std::uint64_t batch_id = pending_batch_++;
    writing_ = true;
    lock.unlock();
    std::string error = write_batch(bytes);
    lock.lock();
    writing_ = false;
    completed_batch_ = batch_id;
    if (!error.empty()) {
      last_error_ = error;
      failed_.insert(batch_id);
      ++generation_;  // definitions of the failed batch are gone
      if (!pending_.empty()) {  // framed under the old generation: refuse them too
        failed_.insert(pending_batch_);
        completed_batch_ = pending_batch_++;
        pending_.clear();
      }
      while (failed_.size() > 1024) failed_.erase(failed_.begin());
    }
    changed_.notify_all();
  }
  if (failed_.count(mine)) return last_error_;
  return "";
}

std::string Wal::rotate(std::uint64_t& closed) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !rotating_; });
  rotating_ = true;
  changed_.wait(lock, [&] { return !writing_ && pending_.empty(); });
  const auto path = segment_path(dir_, segment_ + 1);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  std::string error;
  if (fd < 0) error = std::string("cannot create ") + path.string() + ": " + std::strerror(errno);
  if (error.empty() && ::fdatasync(fd_) != 0) error = std::string("write-ahead log sync: ") + std::strerror(errno);
  if (error.empty()) error = io::sync_dir(dir_);
  if (!error.empty()) {
    if (fd >= 0) {
      ::close(fd);
      ::unlink(path.c_str());
    }
  } else {
    ::close(fd_);
    fd_ = fd;
    closed = segment_++;
    size_ = 0;
    ++generation_;
    dirty_ = false;
  }
  rotating_ = false;
  changed_.notify_all();
  return error;
}

void Wal::sync_if_due() {
  std::unique_lock lock(mutex_);
  if (mode_ != SyncMode::periodic || !dirty_ || writing_ || fd_ < 0) return;
  if (::fdatasync(fd_) == 0) {
    ++syncs_;
    dirty_ = false;
    last_sync_ns_ = steady_ns();
  }
}

std::uint64_t Wal::segment() const {
  std::lock_guard lock(mutex_);
  return segment_;
}

std::uint64_t Wal::syncs() const {
  std::lock_guard lock(mutex_);
  return syncs_;
}

std::uint64_t Wal::bytes_written() const {
  std::lock_guard lock(mutex_);
  return size_ + pending_.size();
}

std::uint64_t Wal::replay(const std::filesystem::path& path,
                          const std::function<void(std::uint64_t, const std::string&)>& on_def,
                          const std::function<void(const WalSample&)>& on_sample) {
  std::string text;
  if (!io::read_file(path, text)) return 0;
  std::string_view in(text);
  while (!in.empty()) {
    std::string_view frame = in;
    std::uint32_t length = 0, crc = 0;
    if (!io::get_u32(frame, length) || !io::get_u32(frame, crc) || frame.size() < length) break;
    std::string_view payload = frame.substr(0, length);
    if (io::crc32c(payload.data(), payload.size()) != crc) break;
    // Parse fully before delivering, so a damaged record delivers nothing.
    std::uint64_t count = 0, id = 0, size = 0, t = 0, bits = 0;
    std::vector<std::pair<std::uint64_t, std::string>> defs;
    std::vector<WalSample> samples;
    bool ok = io::get_varint(payload, count);
    for (std::uint64_t i = 0; ok && i < count; ++i) {
      ok = io::get_varint(payload, id) && io::get_varint(payload, size) && payload.size() >= size;
      if (ok) {
        defs.emplace_back(id, std::string(payload.substr(0, size)));
        payload.remove_prefix(size);
      }
    }
    ok = ok && io::get_varint(payload, count);
    for (std::uint64_t i = 0; ok && i < count; ++i) {
      ok = io::get_varint(payload, id) && io::get_varint(payload, t) && io::get_u64(payload, bits);
      if (ok) samples.push_back({id, io::unzigzag(t), std::bit_cast<double>(bits)});
    }
    if (!ok) break;
    for (const auto& [def_id, key] : defs) on_def(def_id, key);
    for (const auto& sample : samples) on_sample(sample);
    in.remove_prefix(8 + length);
  }
  return in.size();
}

}  // namespace hpcmon::history
