#include "hpcmon/agent/log.hpp"

#include <cstdio>

namespace hpcmon::agent {

Level parse_level(std::string_view name) {
  if (name == "trace") return Level::trace;
  if (name == "debug") return Level::debug;
  if (name == "warning") return Level::warning;
  if (name == "error") return Level::error;
  if (name == "off") return Level::off;
  return Level::info;
}

void Log::write(Level level, std::string_view message) {
  if (level < min_ || min_ == Level::off) return;
  static const char* const names[] = {"trace", "debug", "info", "warning", "error", "off"};
  std::lock_guard lock(mutex_);
  std::fprintf(stderr, "hpcmond: agent: %s: %.*s\n", names[static_cast<int>(level)],
               static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
}

bool Log::once(Level level, const std::string& key, std::string_view message) {
  {
    std::lock_guard lock(mutex_);
    if (!seen_.insert(key).second) return false;
  }
  write(level, message);
  return true;
}

}  // namespace hpcmon::agent
