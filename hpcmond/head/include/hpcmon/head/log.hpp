// One-line log messages of the head daemon on stderr (journald adds time and unit), with a
// once-only form for repeated conditions (a damaged record is reported once, not per scan).
#pragma once

#include <mutex>
#include <set>
#include <string>

namespace hpcmon::head {

class Log {
 public:
  explicit Log(bool quiet = false) : quiet_(quiet) {}
  void info(const std::string& line);
  void warning(const std::string& line);
  // Logs `line` the first time `key` is seen; returns whether it logged.
  bool once(const std::string& key, const std::string& line);
  std::size_t once_count() const;

 private:
  void write(const char* level, const std::string& line);
  bool quiet_;
  mutable std::mutex mutex_;
  std::set<std::string> seen_;
};

}  // namespace hpcmon::head
