// The memory limit the kernel enforces on a step's processes, from their cgroup.
// What it is: where a pid's memory cgroup lives (/proc/<pid>/cgroup: the v1 `memory` line, or
// the v2 `0::` line), where the hierarchies are mounted (the agent's own
// /proc/self/mountinfo), and the effective limit: the smallest memory.limit_in_bytes (v1) or
// memory.max (v2) from that cgroup up to the hierarchy's root.
// What it owns: nothing; pure parsers (tested on captured text) and one reader.
// What it must never do: take a path from a job (the only inputs are the kernel's /proc files),
// follow a symlink (every level is opened O_NOFOLLOW relative to the one above, from a mount
// point that must be a cgroup filesystem), or accept "..", "." or empty path components.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hpcmon::agent {

struct CgroupMount {
  std::string mount_point;  // e.g. /sys/fs/cgroup/memory
  std::string root = "/";   // the part of the hierarchy mounted there (mountinfo field 4)
};

struct CgroupMounts {
  std::optional<CgroupMount> v1_memory;  // a `cgroup` mount with the memory controller
  std::optional<CgroupMount> v2;         // the `cgroup2` mount
  // Refuse any folder that is not on cgroupfs (statfs magic); tests of the v2 layout on a
  // temporary folder turn it off.
  bool require_cgroupfs = true;
};

// Mount points of the v1 memory hierarchy and of the v2 hierarchy in /proc/self/mountinfo text.
CgroupMounts parse_mountinfo(std::string_view text);
// The agent's own /proc/self/mountinfo.
CgroupMounts read_cgroup_mounts();

// A process's cgroup paths from /proc/<pid>/cgroup text.
struct ProcCgroups {
  std::optional<std::string> v1_memory;  // "4:memory:/slurm/uid_0/job_7/step_0" -> "/slurm/..."
  std::optional<std::string> v2;         // "0::/system.slice/x" -> "/system.slice/x"
};
ProcCgroups parse_proc_cgroup(std::string_view text);

// The bytes of memory.limit_in_bytes (v1: a value of 2^62 or more is the kernel's "no limit")
// or memory.max (v2: "max" is no limit); nothing for no limit or text that is not a number.
std::optional<std::uint64_t> parse_memory_limit(std::string_view text, int version);

struct MemoryLimit {
  std::uint64_t bytes = 0;
  int version = 0;     // 1 or 2
  std::string cgroup;  // the level whose file sets it, relative to the mount ("/slurm/.../step_0")
  std::string source() const { return version == 2 ? "cgroup v2" : "cgroup v1"; }
};

// The effective limit of the cgroup `path` (as /proc/<pid>/cgroup gives it), or nothing when
// no level up to the root sets one or a level cannot be opened safely.
std::optional<MemoryLimit> read_cgroup_memory_limit(const CgroupMount& mount, const std::string& path, int version,
                                                    bool require_cgroupfs = true);
// The effective limit of `pid`'s memory cgroup: v1 when the memory controller is mounted as v1
// and the process has a memory line, else v2; nothing when there is none or the pid is gone.
std::optional<MemoryLimit> read_memory_limit(pid_t pid, const CgroupMounts& mounts);

}  // namespace hpcmon::agent
