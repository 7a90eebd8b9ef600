// The step memory limit from cgroups: parsers on text captured from this machine and from a
// cgroup v2 host, the v2 layout on a temporary folder, and the real v1 memory hierarchy of this
// machine (a scratch cgroup with a limit below the test's own).
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <fstream>

#include "cgroup_fixture.hpp"
#include "harness.hpp"
#include "hpcmon/agent/cgroup_limits.hpp"

namespace hpcmon::agent::test {
namespace {

// /proc/self/mountinfo of this machine (hybrid: v1 controllers and an empty v2 hierarchy).
const char* const kHybridMountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
// A v2-only host (Debian 12 with systemd), with a mount point holding a space.
const char* const kUnifiedMountinfo =
    "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
    "30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n"
    "90 22 0:26 /slurm /mnt/cg\\040copy rw,relatime - cgroup2 cgroup2 rw\n";

TEST(CgroupParse, MountinfoFindsTheV1MemoryAndTheV2Hierarchies) {
  const CgroupMounts hybrid = parse_mountinfo(kHybridMountinfo);
  ASSERT_TRUE(hybrid.v1_memory);
  EXPECT_EQ(hybrid.v1_memory->mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(hybrid.v1_memory->root, "/");
  ASSERT_TRUE(hybrid.v2);
  EXPECT_EQ(hybrid.v2->mount_point, "/sys/fs/cgroup/unified");

  const CgroupMounts unified = parse_mountinfo(kUnifiedMountinfo);
  EXPECT_FALSE(unified.v1_memory);
  ASSERT_TRUE(unified.v2);
  EXPECT_EQ(unified.v2->mount_point, "/sys/fs/cgroup");  // the first cgroup2 mount
  const CgroupMounts escaped = parse_mountinfo("90 22 0:26 /slurm /mnt/cg\\040copy rw - cgroup2 cgroup2 rw\n");
  ASSERT_TRUE(escaped.v2);
  EXPECT_EQ(escaped.v2->mount_point, "/mnt/cg copy");
  EXPECT_EQ(escaped.v2->root, "/slurm");
  EXPECT_FALSE(parse_mountinfo("garbage\n\n1 2 3\n").v2);
}

TEST(CgroupParse, ProcCgroupGivesTheMemoryLineAndTheUnifiedLine) {
  const ProcCgroups v1 = parse_proc_cgroup(
      "9:name=systemd:/\n4:memory:/slurm_node1/uid_0/job_7/step_0/task_0\n3:cpuset:/slurm_node1/uid_0/job_7\n0::/\n");
  ASSERT_TRUE(v1.v1_memory);
  EXPECT_EQ(*v1.v1_memory, "/slurm_node1/uid_0/job_7/step_0/task_0");
  ASSERT_TRUE(v1.v2);
  EXPECT_EQ(*v1.v2, "/");
  const ProcCgroups combined = parse_proc_cgroup("5:cpu,memory,cpuacct:/a/b\n");
  ASSERT_TRUE(combined.v1_memory);
  EXPECT_EQ(*combined.v1_memory, "/a/b");
  const ProcCgroups v2 = parse_proc_cgroup("0::/system.slice/slurmstepd.scope/job_12/step_0/user/task_0\n");
  EXPECT_FALSE(v2.v1_memory);
  ASSERT_TRUE(v2.v2);
  EXPECT_EQ(*v2.v2, "/system.slice/slurmstepd.scope/job_12/step_0/user/task_0");
}

TEST(CgroupParse, LimitTextNoLimitAndGarbage) {
  EXPECT_EQ(parse_memory_limit("209715200\n", 1), std::optional<std::uint64_t>(209715200));
  EXPECT_EQ(parse_memory_limit("9223372036854771712\n", 1), std::nullopt);  // v1 "unlimited"
  EXPECT_EQ(parse_memory_limit("67108864\n", 2), std::optional<std::uint64_t>(67108864));
  EXPECT_EQ(parse_memory_limit("max\n", 2), std::nullopt);
  EXPECT_EQ(parse_memory_limit("", 2), std::nullopt);
  EXPECT_EQ(parse_memory_limit("12ab\n", 1), std::nullopt);
  EXPECT_EQ(parse_memory_limit("-5\n", 1), std::nullopt);
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

// The v2 layout (memory.max per level) on a temporary folder: the smallest limit from the
// cgroup up wins, "max" levels are skipped, symlinks and ".." are refused.
TEST(CgroupV2Layout, SmallestLimitUpToTheRootAndNoSymlinks) {
  const fs::path root = make_temp_dir("cgv2");
  fs::create_directories(root / "job_12/step_0/user/task_0");
  write_file(root / "job_12/memory.max", "1073741824\n");
  write_file(root / "job_12/step_0/memory.max", "268435456\n");
  write_file(root / "job_12/step_0/user/memory.max", "max\n");
  write_file(root / "job_12/step_0/user/task_0/memory.max", "max\n");
  const CgroupMount mount{root.string(), "/"};

  auto limit = read_cgroup_memory_limit(mount, "/job_12/step_0/user/task_0", 2, false);
  ASSERT_TRUE(limit);
  EXPECT_EQ(limit->bytes, 268435456u);
  EXPECT_EQ(limit->cgroup, "/job_12/step_0");
  EXPECT_EQ(limit->source(), "cgroup v2");
  // A cgroup without any limit up to the root: nothing.
  fs::create_directories(root / "free");
  EXPECT_FALSE(read_cgroup_memory_limit(mount, "/free", 2, false));
  // The same folder is not a cgroup filesystem: refused when that is required (the default).
  EXPECT_FALSE(read_cgroup_memory_limit(mount, "/job_12/step_0/user/task_0", 2));
  // A symlinked level and a ".." component are never followed.
  fs::create_directory_symlink(root / "job_12", root / "link");
  EXPECT_FALSE(read_cgroup_memory_limit(mount, "/link/step_0", 2, false));
  EXPECT_FALSE(read_cgroup_memory_limit(mount, "/free/../job_12/step_0", 2, false));
  // A mount of a sub-tree (mountinfo root /job_12) reads paths below it only.
  const CgroupMount sub{(root / "job_12").string(), "/job_12"};
  limit = read_cgroup_memory_limit(sub, "/job_12/step_0/user", 2, false);
  ASSERT_TRUE(limit);
  EXPECT_EQ(limit->bytes, 268435456u);
  EXPECT_FALSE(read_cgroup_memory_limit(sub, "/job_123/step_0", 2, false));
  fs::remove_all(root);
}

// A real process in a real v1 memory cgroup of this machine: its limit is its parent
// level's, exactly what memory.limit_in_bytes says.
TEST(CgroupV1Real, AChildInALimitedCgroupHasThatLimit) {
  ScratchMemoryCgroup cgroup(64 << 20);
  if (!cgroup.ok()) GTEST_SKIP() << "no writable cgroup v1 memory hierarchy here";
  WaitingChild waiting;
  ASSERT_TRUE(waiting.started());
  const pid_t child = waiting.pid();
  ASSERT_TRUE(cgroup.add(child));
  const auto limit = read_memory_limit(child, read_cgroup_mounts());
  waiting.release();
  ASSERT_TRUE(limit);
  EXPECT_EQ(std::to_string(limit->bytes), cgroup.limit_text());
  EXPECT_EQ(limit->bytes, 64u << 20);
  EXPECT_EQ(limit->version, 1);
  EXPECT_EQ(limit->cgroup, cgroup.relative());
  // A pid that is gone has no limit.
  EXPECT_FALSE(read_memory_limit(child, read_cgroup_mounts()));
}

}  // namespace
}  // namespace hpcmon::agent::test
