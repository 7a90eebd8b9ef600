#include "hpcmon/head/log.hpp"

#include <cstdio>

namespace hpcmon::head {

void Log::write(const char* level, const std::string& line) {
  if (quiet_) return;
  std::fprintf(stderr, "hpcmond: %s: %s\n", level, line.c_str());
}

void Log::info(const std::string& line) { write("info", line); }
void Log::warning(const std::string& line) { write("warning", line); }

bool Log::once(const std::string& key, const std::string& line) {
  {
    std::lock_guard lock(mutex_);
    if (!seen_.insert(key).second) return false;
  }
  write("warning", line);
  return true;
}

std::size_t Log::once_count() const {
  std::lock_guard lock(mutex_);
  return seen_.size();
}

}  // namespace hpcmon::head
