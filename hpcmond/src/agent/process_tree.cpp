#include "hpcmon/agent/process_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <unordered_set>

namespace hpcmon::agent {
namespace {

// The ppid field of /proc/<pid>/stat: the comm may contain spaces and ')', so parse after the last ')'.
pid_t parent_from_stat(std::string_view stat) {
  const auto close = stat.rfind(')');
  if (close == std::string_view::npos || close + 4 >= stat.size()) return -1;
  std::string_view rest = stat.substr(close + 4);  // ") S " then ppid
  pid_t ppid = -1;
  std::from_chars(rest.data(), rest.data() + rest.size(), ppid);
  return ppid;
}

}  // namespace

std::unordered_map<pid_t, pid_t> read_parent_map() {
  std::unordered_map<pid_t, pid_t> parents;
  DIR* proc = opendir("/proc");
  if (!proc) return parents;
  char buffer[512];
  while (dirent* entry = readdir(proc)) {
    pid_t pid = 0;
    const char* name = entry->d_name;
    auto [end, ec] = std::from_chars(name, name + std::strlen(name), pid);
    if (ec != std::errc() || *end != '\0') continue;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    const ssize_t n = read(fd, buffer, sizeof buffer);
    close(fd);
    if (n <= 0) continue;
    const pid_t ppid = parent_from_stat(std::string_view(buffer, static_cast<std::size_t>(n)));
    if (ppid >= 0) parents[pid] = ppid;
  }
  closedir(proc);
  return parents;
}

std::vector<pid_t> descendants(const std::vector<pid_t>& roots, const std::unordered_map<pid_t, pid_t>& parents) {
  std::unordered_map<pid_t, std::vector<pid_t>> children;
  for (const auto& [pid, ppid] : parents) children[ppid].push_back(pid);
  std::vector<pid_t> out;
  std::unordered_set<pid_t> seen;
  for (pid_t root : roots)
    if (parents.count(root) && seen.insert(root).second) out.push_back(root);
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto it = children.find(out[i]);
    if (it == children.end()) continue;
    for (pid_t child : it->second)
      if (seen.insert(child).second) out.push_back(child);
  }
  return out;
}

}  // namespace hpcmon::agent
