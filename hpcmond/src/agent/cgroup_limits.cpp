#include "hpcmon/agent/cgroup_limits.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <vector>

namespace hpcmon::agent {
namespace {

constexpr long kCgroupMagic = 0x27e0eb;       // CGROUP_SUPER_MAGIC
constexpr long kCgroup2Magic = 0x63677270;    // CGROUP2_SUPER_MAGIC
constexpr std::uint64_t kV1NoLimit = 1ULL << 62;  // the kernel writes PAGE_COUNTER_MAX pages (~2^63)

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  for (std::size_t start = 0;;) {
    const std::size_t end = text.find(separator, start);
    out.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_octal(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      const std::string_view digits = text.substr(i + 1, 3);
      if (std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        out += static_cast<char>((digits[0] - '0') * 64 + (digits[1] - '0') * 8 + (digits[2] - '0'));
        i += 3;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

bool has_item(std::string_view list, std::string_view item) {
  for (auto part : split(list, ','))
    if (part == item) return true;
  return false;
}

std::string read_small_file(int dir_fd, const char* name) {
  const int fd = dir_fd >= 0 ? openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
                             : open(name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return {};
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0 && text.size() < (1u << 20);)
    text.append(buffer, static_cast<std::size_t>(n));
  close(fd);
  return text;
}

bool on_cgroupfs(int fd) {
  struct statfs fs{};
  if (fstatfs(fd, &fs) != 0) return false;
  return static_cast<long>(fs.f_type) == kCgroupMagic || static_cast<long>(fs.f_type) == kCgroup2Magic;
}

}  // namespace

CgroupMounts parse_mountinfo(std::string_view text) {
  CgroupMounts mounts;
  for (auto line : split(text, '\n')) {
    const std::size_t dash = line.find(" - ");
    if (dash == std::string_view::npos) continue;
    const auto head = split(line.substr(0, dash), ' ');
    const auto tail = split(line.substr(dash + 3), ' ');
    if (head.size() < 5 || tail.size() < 3) continue;
    CgroupMount mount{unescape_octal(head[4]), unescape_octal(head[3])};
    if (tail[0] == "cgroup2" && !mounts.v2) mounts.v2 = std::move(mount);
    else if (tail[0] == "cgroup" && has_item(tail[2], "memory") && !mounts.v1_memory) mounts.v1_memory = std::move(mount);
  }
  return mounts;
}

CgroupMounts read_cgroup_mounts() { return parse_mountinfo(read_small_file(-1, "/proc/self/mountinfo")); }

ProcCgroups parse_proc_cgroup(std::string_view text) {
  ProcCgroups out;
  for (auto line : split(text, '\n')) {
    const std::size_t first = line.find(':');
    const std::size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const std::string_view id = line.substr(0, first), controllers = line.substr(first + 1, second - first - 1);
    const std::string path(line.substr(second + 1));
    if (id == "0" && controllers.empty()) out.v2 = path;
    else if (has_item(controllers, "memory")) out.v1_memory = path;
  }
  return out;
}

std::optional<std::uint64_t> parse_memory_limit(std::string_view text, int version) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (text.empty() || (version == 2 && text == "max")) return std::nullopt;
  std::uint64_t bytes = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), bytes);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (version == 1 && bytes >= kV1NoLimit) return std::nullopt;
  return bytes;
}

std::optional<MemoryLimit> read_cgroup_memory_limit(const CgroupMount& mount, const std::string& path, int version,
                                                    bool require_cgroupfs) {
  // The path is relative to the hierarchy's root; a mount of a sub-tree must contain it.
  std::string_view below = path;
  if (mount.root != "/") {
    if (below.rfind(mount.root, 0) != 0 || (below.size() > mount.root.size() && below[mount.root.size()] != '/'))
      return std::nullopt;
    below.remove_prefix(mount.root.size());
  }
  std::vector<std::string_view> parts;
  for (auto part : split(below, '/')) {
    if (part.empty()) continue;  // the leading '/', or a doubled one
    if (part == "." || part == "..") return std::nullopt;
    parts.push_back(part);
  }
  const char* file = version == 2 ? "memory.max" : "memory.limit_in_bytes";
  int dir = open(mount.mount_point.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  std::optional<MemoryLimit> best;
  std::string here;
  for (std::size_t level = 0; dir >= 0; ++level) {
    if (require_cgroupfs && !on_cgroupfs(dir)) break;
    if (auto bytes = parse_memory_limit(read_small_file(dir, file), version); bytes && (!best || *bytes <= best->bytes))
      best = MemoryLimit{*bytes, version, here.empty() ? "/" : here};
    if (level == parts.size()) {
      close(dir);
      return best;
    }
    const std::string name(parts[level]);
    const int next = openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(dir);
    dir = next;
    here += "/" + name;
  }
  if (dir >= 0) close(dir);
  return std::nullopt;  // a level could not be opened safely: no answer rather than a partial one
}

std::optional<MemoryLimit> read_memory_limit(pid_t pid, const CgroupMounts& mounts) {
  char name[64];
  std::snprintf(name, sizeof name, "/proc/%d/cgroup", static_cast<int>(pid));
  const ProcCgroups cgroups = parse_proc_cgroup(read_small_file(-1, name));
  if (mounts.v1_memory && cgroups.v1_memory)
    return read_cgroup_memory_limit(*mounts.v1_memory, *cgroups.v1_memory, 1, mounts.require_cgroupfs);
  if (mounts.v2 && cgroups.v2) return read_cgroup_memory_limit(*mounts.v2, *cgroups.v2, 2, mounts.require_cgroupfs);
  return std::nullopt;
}

}  // namespace hpcmon::agent
