#include "binding.hpp"

#include <dirent.h>
#include <sched.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace hpcmon::mpi {
namespace {

// "0-3,8" appended to `out` from a CPU set.
void list_text(const cpu_set_t& set, char* out, std::size_t cap) {
  std::size_t used = 0;
  out[0] = '\0';
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    int last = cpu;
    while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set)) ++last;
    int n = last == cpu ? std::snprintf(out + used, cap - used, "%s%d", used ? "," : "", cpu)
                        : std::snprintf(out + used, cap - used, "%s%d-%d", used ? "," : "", cpu, last);
    if (n < 0 || std::size_t(n) >= cap - used) {  // does not fit: better nothing than a wrong set
      out[0] = '\0';
      return;
    }
    used += std::size_t(n);
    cpu = last;
  }
}

// Parses a sysfs list ("0-3,8") into `set`; false if malformed.
bool parse_list(const char* text, cpu_set_t* set) {
  CPU_ZERO(set);
  const char* p = text;
  while (*p && *p != '\n') {
    char* end = nullptr;
    long first = std::strtol(p, &end, 10);
    if (end == p || first < 0) return false;
    long last = first;
    p = end;
    if (*p == '-') {
      last = std::strtol(p + 1, &end, 10);
      if (end == p + 1 || last < first) return false;
      p = end;
    }
    for (long c = first; c <= last && c < CPU_SETSIZE; ++c) CPU_SET(int(c), set);
    if (*p == ',') ++p;
  }
  return true;
}

// The node whose CPUs contain all of `mine`; -1 if none or several.
int numa_node_of(const cpu_set_t& mine) {
  DIR* dir = opendir("/sys/devices/system/node");
  if (!dir) return -1;
  int found = -1, touched = 0;
  while (dirent* e = readdir(dir)) {
    int node = 0;
    if (std::sscanf(e->d_name, "node%d", &node) != 1) continue;
    char path[320], text[4096] = {};
    std::snprintf(path, sizeof path, "/sys/devices/system/node/%s/cpulist", e->d_name);
    FILE* f = std::fopen(path, "re");
    if (!f) continue;
    const bool ok = std::fgets(text, sizeof text, f) != nullptr;
    std::fclose(f);
    cpu_set_t cpus, common;
    if (!ok || !parse_list(text, &cpus)) continue;
    CPU_AND(&common, &cpus, &mine);
    if (CPU_COUNT(&common) == 0) continue;
    ++touched;
    if (CPU_EQUAL(&common, &mine)) found = node;
  }
  closedir(dir);
  return touched == 1 ? found : -1;
}

}  // namespace

void current_binding(char* cpuset, std::size_t cap, int* numa_node) {
  *numa_node = -1;
  if (cap) cpuset[0] = '\0';
  cpu_set_t mine;
  CPU_ZERO(&mine);
  if (sched_getaffinity(0, sizeof mine, &mine) != 0 || cap == 0) return;
  list_text(mine, cpuset, cap);
  *numa_node = numa_node_of(mine);
}

}  // namespace hpcmon::mpi
