#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "hpcmon/sampler/block_device.hpp"
#include "hpcmon/sampler/proc_file.hpp"
#include "hpcmon/sampler/proc_parsers.hpp"
#include "hpcmon/sampler/topology.hpp"

using namespace hpcmon::sampler;

namespace {
// The NUMA node of a CPU, from sysfs (cpuN/nodeM links), independent of hwloc.
int sysfs_node_of_cpu(int cpu) {
  for (const auto& e : std::filesystem::directory_iterator("/sys/devices/system/cpu/cpu" + std::to_string(cpu))) {
    auto name = e.path().filename().string();
    if (name.rfind("node", 0) == 0) return std::stoi(name.substr(4));
  }
  return 0;  // kernels without NUMA support have one node, 0
}
}  // namespace

TEST(Topology, SummaryMatchesTheKernel) {
  auto t = topology_summary();
  ASSERT_TRUE(t.loaded) << t.error;
  EXPECT_EQ(t.processing_units, sysconf(_SC_NPROCESSORS_ONLN));
  EXPECT_GE(t.cores, 1);
  EXPECT_GE(t.packages, 1);
  EXPECT_GE(t.numa_nodes, 1);
  EXPECT_EQ(t.numa_memory_bytes.size(), static_cast<std::size_t>(t.numa_nodes));
  EXPECT_NE(t.one_line().find(std::to_string(t.processing_units) + " PU"), std::string::npos) << t.one_line();
}

TEST(Topology, UnboundThreadSeesItsAllowedCpus) {
  auto status = proc::parse_pid_status(read_small_file("/proc/thread-self/status"));
  ASSERT_TRUE(status);
  auto b = current_binding();
  EXPECT_EQ(b.cpuset, status->cpus_allowed_list);
}

TEST(Topology, PinnedThreadReportsItsCpuAndNode) {
  const int last_cpu = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)) - 1;
  Binding b;
  std::thread t([&] {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(last_cpu, &set);
    ASSERT_EQ(pthread_setaffinity_np(pthread_self(), sizeof set, &set), 0);
    b = current_binding();
  });
  t.join();
  EXPECT_EQ(b.cpuset, std::to_string(last_cpu));
  EXPECT_EQ(b.numa_node, sysfs_node_of_cpu(last_cpu));
}

TEST(Topology, BindingOfAnotherProcess) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t pid = fork();
  if (pid == 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    sched_setaffinity(0, sizeof set, &set);
    if (write(ready[1], "r", 1) != 1) _exit(1);
    pause();
    _exit(0);
  }
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  auto b = process_binding(pid);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  close(ready[0]);
  close(ready[1]);
  EXPECT_EQ(b.cpuset, "0");
  EXPECT_EQ(b.numa_node, sysfs_node_of_cpu(0));
}

TEST(BlockDevice, RootFilesystemMatchesMountTable) {
  auto dev = block_device_for_path("/");
  std::string source;
  for (const auto& m : proc::parse_mountinfo(read_small_file("/proc/self/mountinfo")))
    if (m.mount_point == "/") source = m.source;  // the last mount on "/" is the visible one
  if (source.rfind("/dev/", 0) != 0) GTEST_SKIP() << "root is not a block device here: " << source;
  ASSERT_EQ(dev.error, "");
  EXPECT_EQ(dev.name, std::filesystem::canonical(source).filename().string());
  EXPECT_TRUE(std::filesystem::exists("/sys/class/block/" + dev.whole_disk));
}

TEST(BlockDevice, PartitionsBelongToTheirDisk) {
  int partitions = 0;
  for (const auto& e : std::filesystem::directory_iterator("/sys/class/block")) {
    const std::string name = e.path().filename().string();
    if (!std::filesystem::exists(e.path() / "partition")) {
      EXPECT_EQ(whole_disk_of(name), name);
      continue;
    }
    ++partitions;
    const std::string disk = whole_disk_of(name);
    EXPECT_NE(disk, name);
    EXPECT_TRUE(std::filesystem::exists("/sys/class/block/" + disk + "/" + name)) << name << " in " << disk;
  }
  RecordProperty("partitions", partitions);
}

TEST(BlockDevice, NoDeviceIsSaidSo) {
  auto dev = block_device_for_path("/proc");
  EXPECT_EQ(dev.name, "");
  EXPECT_NE(dev.error.find("no block device"), std::string::npos) << dev.error;
  EXPECT_NE(block_device_for_path("/no/such/path").error, "");
}
