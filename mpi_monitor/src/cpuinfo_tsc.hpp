// The rule for the tick source, as a pure function of /proc/cpuinfo's text (tested on
// captured text): the TSC counts time only when the first "flags" line has both
// constant_tsc (a fixed rate, whatever the frequency) and nonstop_tsc (it runs in deep idle).
#pragma once

#include <cstring>

namespace hpcmon::mpi {

inline bool cpuinfo_has_flag(const char* flags, const char* flags_end, const char* word) {
  const std::size_t n = std::strlen(word);
  for (const char* p = flags; p + n <= flags_end; ++p) {
    if (std::strncmp(p, word, n) != 0) continue;
    const bool start = p == flags || p[-1] == ' ' || p[-1] == '\t' || p[-1] == ':';
    const bool end = p + n == flags_end || p[n] == ' ' || p[n] == '\t' || p[n] == '\n';
    if (start && end) return true;
  }
  return false;
}

inline bool cpuinfo_invariant_tsc(const char* text) {
  const char* line = std::strncmp(text, "flags", 5) == 0 ? text : std::strstr(text, "\nflags");
  if (!line) return false;
  if (*line == '\n') ++line;
  const char* eol = std::strchr(line, '\n');
  if (!eol) eol = line + std::strlen(line);
  const char* colon = std::strchr(line, ':');
  if (!colon || colon > eol) return false;
  return cpuinfo_has_flag(colon + 1, eol, "constant_tsc") && cpuinfo_has_flag(colon + 1, eol, "nonstop_tsc");
}

}  // namespace hpcmon::mpi
