// One-line log messages on stderr ("hpcmond: agent: ..."), filtered by general.log_level.
// Thread-safe; log_once() prints a message key only the first time, so a peer that keeps
// sending garbage cannot fill the log.
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace hpcmon::agent {

enum class Level { trace, debug, info, warning, error, off };

Level parse_level(std::string_view name);  // general.log_level words; unknown -> info

class Log {
 public:
  explicit Log(Level min = Level::info) : min_(min) {}
  void write(Level level, std::string_view message);
  // Prints `message` only the first time `key` is seen; returns whether it printed.
  bool once(Level level, const std::string& key, std::string_view message);
  void info(std::string_view m) { write(Level::info, m); }
  void warning(std::string_view m) { write(Level::warning, m); }
  void error(std::string_view m) { write(Level::error, m); }
  void debug(std::string_view m) { write(Level::debug, m); }

 private:
  Level min_;
  std::mutex mutex_;
  std::set<std::string> seen_;
};

}  // namespace hpcmon::agent
