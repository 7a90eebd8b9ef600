// The agent's outbox to the head: every push message is a file `<seq>.<kind>.json` in the
// spool folder (root only, 0700) until the head has acknowledged it, so messages survive an
// unreachable head and an agent restart, and are replayed in sequence order. The sequence
// number is per agent instance (a random id kept in the folder) and never reused: the head
// drops a (instance, seq) it has already stored, so nothing counts twice.
// Bounded: past max_bytes the oldest live-sample messages are dropped first, then the oldest
// of any kind; drops are counted (the head sees the gap in sequence numbers).
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace hpcmon::agent {

struct SpoolEntry {
  std::uint64_t seq = 0;
  std::string kind;  // "samples" or "record_ready"
  std::uint64_t bytes = 0;
};

class Spool {
 public:
  // Creates the folder when missing; keeps what an earlier agent left. Throws std::runtime_error.
  // One agent per spool: a second one on the same folder is refused (it would reuse sequence
  // numbers and temporary names).
  Spool(std::filesystem::path dir, std::uint64_t max_bytes);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  const std::string& instance() const { return instance_; }
  // Stores one message; `make_body(seq)` returns its JSON text for the sequence number it gets.
  template <class MakeBody>
  std::uint64_t append(const std::string& kind, MakeBody make_body) {
    std::lock_guard lock(mutex_);
    const std::uint64_t seq = next_seq_++;
    store(seq, kind, make_body(seq));
    return seq;
  }
  std::vector<SpoolEntry> pending() const;  // in sequence order
  std::optional<std::string> read(const SpoolEntry& e) const;
  void remove(std::uint64_t seq);  // acknowledged by the head
  std::uint64_t bytes() const;
  std::uint64_t dropped() const;
  std::uint64_t next_seq() const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  void store(std::uint64_t seq, const std::string& kind, const std::string& body);
  void save_next_seq();
  std::filesystem::path file_of(const SpoolEntry& e) const;

  std::filesystem::path dir_;
  int lock_fd_ = -1;  // flock'ed for the spool's lifetime
  std::uint64_t max_bytes_;
  std::string instance_;
  std::uint64_t next_seq_ = 1;
  std::vector<SpoolEntry> entries_;
  std::uint64_t bytes_ = 0, dropped_ = 0;
  mutable std::mutex mutex_;
};

}  // namespace hpcmon::agent
