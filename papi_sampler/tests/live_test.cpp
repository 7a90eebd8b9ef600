// Live checks with real quantities on this machine: CPU time of a child, its RSS
// high-water mark, bytes written to the disk under the temp dir, bytes over loopback.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <thread>

#include "burn.hpp"
#include "hpcmon/sampler/block_device.hpp"
#include "hpcmon/sampler/process_metrics.hpp"
#include "hpcmon/sampler/system_metrics.hpp"

using namespace hpcmon::sampler;

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

// A child that does `work` when told to, then says so and waits to be killed, so its
// /proc entry can be read after the work.
class Child {
 public:
  template <typename Work>
  explicit Child(Work work) {
    if (pipe(to_child_) != 0 || pipe(from_child_) != 0) std::abort();
    pid_ = fork();
    if (pid_ == 0) {
      close(to_child_[1]);
      close(from_child_[0]);
      char c;
      if (::read(to_child_[0], &c, 1) != 1) _exit(1);
      work();
      if (::write(from_child_[1], "d", 1) != 1) _exit(1);
      ::read(to_child_[0], &c, 1);  // until the parent closes the pipe
      _exit(0);
    }
    close(to_child_[0]);
    close(from_child_[1]);
  }
  ~Child() {
    close(from_child_[0]);
    close(to_child_[1]);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  pid_t pid() const { return pid_; }
  void run_work() {
    ASSERT_EQ(::write(to_child_[1], "g", 1), 1);
    char c;
    ASSERT_EQ(::read(from_child_[0], &c, 1), 1);
  }

 private:
  int to_child_[2]{}, from_child_[2]{};
  pid_t pid_ = -1;
};

double metric(const std::vector<Metric>& metrics, const std::string& name) {
  for (const auto& m : metrics)
    if (m.name == name) return m.value;
  ADD_FAILURE() << "no metric " << name;
  return -1;
}

std::vector<Metric> sample_of(Source& source) {
  std::vector<Metric> out;
  source.sample(out);
  return out;
}

}  // namespace

TEST(Live, ChildBurningOneSecondOfCpu) {
  Child child([] { sampler_test::burn_thread_cpu(1.0); });
  ProcessSampler sampler({child.pid()});
  auto before = sampler.sample().at(0);
  ASSERT_TRUE(before.alive);
  child.run_work();
  auto after = sampler.sample().at(0);  // the same descriptors, re-read
  ASSERT_TRUE(after.alive);
  const double cpu = (after.cpu_user_s + after.cpu_system_s) - (before.cpu_user_s + before.cpu_system_s);
  EXPECT_GE(cpu, 0.9);
  EXPECT_LE(cpu, 1.1);
}

TEST(Live, TouchingTwoHundredMiBRaisesRssHighWater) {
  Child child([] {
    auto* p = static_cast<char*>(std::malloc(200 * kMiB));
    for (std::uint64_t i = 0; i < 200 * kMiB; i += 4096) p[i] = 1;
    asm volatile("" : : "r"(p) : "memory");
  });
  ProcessSampler sampler({child.pid()});
  auto before = sampler.sample().at(0);
  child.run_work();
  auto after = sampler.sample().at(0);
  EXPECT_GE(after.rss_high_water_bytes - before.rss_high_water_bytes, 200 * kMiB);
  EXPECT_GE(after.rss_bytes, 200 * kMiB);
  EXPECT_EQ(after.threads, 1);
}

TEST(Live, WritingSixtyFourMiBWithFsyncShowsOnTheDevice) {
  std::string dir = testing::TempDir();
  BlockDevice device = block_device_for_path(dir);
  if (!device.error.empty()) GTEST_SKIP() << "temp dir not on a block device: " << device.error;
  DiskSource disk;
  ASSERT_EQ(disk.start(), "");
  ProcessSampler self({getpid()});
  const std::string key = "disk." + device.name + ".written_bytes";
  const auto disk_before = sample_of(disk);
  const auto self_before = self.sample().at(0);

  const std::string path = dir + "/sampler_disk_test." + std::to_string(getpid());
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  std::string chunk(kMiB, '\0');
  for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>(i * 131 + 7);
  for (int i = 0; i < 64; ++i) ASSERT_EQ(write(fd, chunk.data(), chunk.size()), static_cast<ssize_t>(chunk.size()));
  ASSERT_EQ(fsync(fd), 0);
  close(fd);

  const auto disk_after = sample_of(disk);
  const auto self_after = self.sample().at(0);
  unlink(path.c_str());
  const double written = metric(disk_after, key) - metric(disk_before, key);
  EXPECT_GE(written, 64.0 * kMiB) << key;
  ASSERT_TRUE(self_after.io_available);
  EXPECT_GE(self_after.write_bytes - self_before.write_bytes, 64 * kMiB);
}

TEST(Live, TenMegabytesOverLoopback) {
  constexpr std::size_t kBytes = 10'000'000;
  int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(server, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(server, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len), 0);

  NetworkSource net;
  ASSERT_EQ(net.start(), "");
  const auto before = sample_of(net);
  std::size_t received = 0;
  std::thread receiver([&] {
    int conn = accept(server, nullptr, nullptr);
    std::string buf(1 << 16, '\0');
    for (ssize_t n; (n = recv(conn, buf.data(), buf.size(), 0)) > 0;) received += static_cast<std::size_t>(n);
    close(conn);
  });
  int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string payload(kBytes, 'x');
  std::size_t sent = 0;
  while (sent < kBytes) {
    ssize_t n = send(client, payload.data() + sent, kBytes - sent, 0);
    ASSERT_GT(n, 0);
    sent += static_cast<std::size_t>(n);
  }
  close(client);
  receiver.join();
  close(server);
  ASSERT_EQ(received, kBytes);
  const auto after = sample_of(net);
  EXPECT_GE(metric(after, "net.lo.tx_bytes") - metric(before, "net.lo.tx_bytes"), static_cast<double>(kBytes));
  EXPECT_GE(metric(after, "net.lo.rx_bytes") - metric(before, "net.lo.rx_bytes"), static_cast<double>(kBytes));
  EXPECT_GT(metric(after, "net.lo.tx_bytes_per_s"), 0.0);
}

TEST(Live, ExitedProcessReadsAsNotAlive) {
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    ::read(-1, &c, 0);
    _exit(0);
  }
  ProcessSampler sampler({pid});
  int status = 0;
  waitpid(pid, &status, 0);
  auto s = sampler.sample();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_FALSE(s[0].alive);
  ProcessSource source({pid});
  EXPECT_NE(source.start(), "");  // names the missing pid, in one line
}

TEST(Live, FilesystemOfTheRootMatchesStatvfs) {
  FilesystemSource fs;
  ASSERT_EQ(fs.start(), "");
  const auto metrics = sample_of(fs);
  BlockDevice root = block_device_for_path("/");
  if (!root.error.empty()) GTEST_SKIP() << root.error;
  struct statvfs vfs{};
  ASSERT_EQ(statvfs("/", &vfs), 0);
  EXPECT_EQ(metric(metrics, "fs./.size_bytes"), static_cast<double>(vfs.f_blocks) * static_cast<double>(vfs.f_frsize));
  const double used = metric(metrics, "fs./.used_bytes");
  EXPECT_NEAR(used, static_cast<double>(vfs.f_blocks - vfs.f_bfree) * static_cast<double>(vfs.f_frsize), 256.0 * kMiB);
  const double fraction = metric(metrics, "fs./.used_fraction");
  EXPECT_GT(fraction, 0.0);
  EXPECT_LT(fraction, 1.0);
  for (const auto& m : metrics) EXPECT_EQ(m.name.rfind("fs./proc", 0), std::string::npos) << m.name;  // no pseudo filesystems
}

TEST(Live, SystemSourcesGiveConsistentNumbers) {
  CpuSource cpu;
  MemorySource mem;
  LoadSource load;
  ASSERT_EQ(cpu.start(), "");
  ASSERT_EQ(mem.start(), "");
  ASSERT_EQ(load.start(), "");
  sample_of(cpu);
  sampler_test::burn_thread_cpu(0.05);
  const auto c = sample_of(cpu);
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  int per_core = 0;
  for (const auto& m : c)
    if (m.name.rfind("cpu.cpu", 0) == 0 && m.name.ends_with(".busy_percent")) ++per_core;
  EXPECT_EQ(per_core, cores);
  const double busy = metric(c, "cpu.total.busy_percent");
  EXPECT_GT(busy, 0.0);  // this thread was busy in the interval
  EXPECT_LE(busy, 100.0);
  const auto m = sample_of(mem);
  const std::uint64_t pages = static_cast<std::uint64_t>(sysconf(_SC_PHYS_PAGES));
  const std::uint64_t page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  EXPECT_EQ(metric(m, "mem.total_bytes"), static_cast<double>(pages * page));
  double l[3] = {};
  ASSERT_EQ(getloadavg(l, 3), 3);
  EXPECT_NEAR(metric(sample_of(load), "load.15m"), l[2], 0.05);
  EXPECT_EQ(cpu.errors() + mem.errors() + load.errors(), 0u);
}
