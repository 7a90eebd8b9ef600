// The write-ahead log of the history store: numbered segment files under <dir>/wal, records
// framed as [u32 length][u32 CRC-32C][payload], appended with group commit (one writer
// writes and fdatasyncs every record queued meanwhile; the others wait for its outcome).
// A failed write or sync is truncated away, so the log never holds a record it refused.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "hpcmon/history.hpp"

namespace hpcmon::history {

// What a replayed record holds: series keys defined in it and samples (t in ms).
struct WalSample {
  std::uint64_t id;
  std::int64_t t_ms;
  double value;
};

class Wal {
 public:
  // `key_of(ref)` gives a series' encoded key (stable, read without locks); `admit(bytes)`
  // says whether `bytes` more may be written (max_disk_bytes), else the reason it may not.
  Wal(std::filesystem::path dir, SyncMode mode, std::int64_t sync_interval_ns,
      std::function<const std::string&(SeriesRef)> key_of,
      std::function<std::string(std::size_t)> admit);
  ~Wal();
  // Opens a fresh segment numbered `segment`. Empty on success, else why not.
  std::string start(std::uint64_t segment);
  // Logs one batch (t already in ms). Empty once durable per the mode, else why refused.
  std::string commit(std::span<const Write> batch);
  // Closes the current segment and opens the next; returns the closed segment's number.
  // Appends wait meanwhile. Empty error on success.
  std::string rotate(std::uint64_t& closed);
  void sync_if_due();  // periodic mode: called by the maintenance thread
  std::uint64_t segment() const;
  std::uint64_t syncs() const;
  std::uint64_t bytes_written() const;  // size of the current segment

  // Every segment number present in `dir`, ascending.
  static std::vector<std::uint64_t> segments(const std::filesystem::path& dir);
  static std::filesystem::path segment_path(const std::filesystem::path& dir, std::uint64_t segment);
  // Reads a segment; calls on_def(id, key) and on_sample(sample) in order. Returns the number
  // of bytes at its end that were torn or damaged (dropped).
  static std::uint64_t replay(const std::filesystem::path& path,
                              const std::function<void(std::uint64_t, const std::string&)>& on_def,
                              const std::function<void(const WalSample&)>& on_sample);

 private:
  std::string write_batch(const std::string& bytes);  // leader only, without mutex_
  std::filesystem::path dir_;
  SyncMode mode_;
  std::int64_t sync_interval_ns_;
  std::function<const std::string&(SeriesRef)> key_of_;
  std::function<std::string(std::size_t)> admit_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int fd_ = -1;
  std::uint64_t segment_ = 0;
  std::atomic<std::uint64_t> size_{0};  // bytes of the current segment (written by the leader)
  std::uint64_t generation_ = 1;     // a series defined under this generation needs no def
  std::vector<std::uint64_t> defined_;  // by SeriesRef
  std::string pending_;              // framed records not yet taken by a writer
  std::uint64_t pending_batch_ = 1;  // id of the batch pending_ belongs to
  std::uint64_t completed_batch_ = 0;
  std::set<std::uint64_t> failed_;   // failed batch ids (recent ones)
  std::string last_error_;
  bool writing_ = false, rotating_ = false, dirty_ = false;
  std::int64_t last_sync_ns_ = 0;
  std::uint64_t syncs_ = 0;
};

}  // namespace hpcmon::history
