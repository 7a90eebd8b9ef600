// Pure parsers against text captured on this machine (tests/data) and hand-made edge cases.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "hpcmon/sampler/proc_parsers.hpp"

namespace proc = hpcmon::sampler::proc;

namespace {
std::string data(const std::string& name) {
  std::ifstream in(std::string(SAMPLER_TEST_DATA) + "/" + name);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << name;
  return text.str();
}
}  // namespace

TEST(Parsers, PidStat) {
  auto s = proc::parse_pid_stat(data("pid_stat.txt"));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->pid, 11633);
  EXPECT_EQ(s->comm, "python3");
  EXPECT_EQ(s->state, 'R');
  EXPECT_EQ(s->ppid, 11630);
  EXPECT_EQ(s->minflt, 15909u);
  EXPECT_EQ(s->majflt, 0u);
  EXPECT_EQ(s->utime_ticks, 12u);
  EXPECT_EQ(s->stime_ticks, 50u);
  EXPECT_EQ(s->num_threads, 1);
  EXPECT_EQ(s->starttime_ticks, 48159u);
  EXPECT_EQ(s->vsize_bytes, 69398528u);
  EXPECT_EQ(s->rss_pages, 16163);
  EXPECT_EQ(s->processor, 0);
}

TEST(Parsers, PidStatCommWithSpacesAndParentheses) {
  auto s = proc::parse_pid_stat(data("pid_stat_odd_comm.txt"));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->comm, "my (odd) prog) x");
  EXPECT_EQ(s->state, 'R');
  EXPECT_EQ(s->utime_ticks, 12u);
  EXPECT_EQ(s->rss_pages, 16163);
}

TEST(Parsers, PidStatRejectsTruncatedText) {
  EXPECT_FALSE(proc::parse_pid_stat(""));
  EXPECT_FALSE(proc::parse_pid_stat("12 (x) S 1 2 3"));
  EXPECT_FALSE(proc::parse_pid_stat("12 x S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22"));
}

TEST(Parsers, PidStatus) {
  auto s = proc::parse_pid_status(data("pid_status.txt"));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->vm_peak_bytes, 68752u * 1024);
  EXPECT_EQ(s->vm_size_bytes, 67772u * 1024);
  EXPECT_EQ(s->vm_hwm_bytes, 65620u * 1024);
  EXPECT_EQ(s->vm_rss_bytes, 64744u * 1024);
  EXPECT_EQ(s->vm_swap_bytes, 0u);
  EXPECT_EQ(s->threads, 1);
  EXPECT_EQ(s->voluntary_ctxt_switches, 16u);
  EXPECT_EQ(s->nonvoluntary_ctxt_switches, 44u);
  EXPECT_EQ(s->cpus_allowed_list, "0-1");
}

TEST(Parsers, PidIo) {
  auto io = proc::parse_pid_io(data("pid_io.txt"));
  ASSERT_TRUE(io);
  EXPECT_EQ(io->rchar, 1687596u);
  EXPECT_EQ(io->wchar, 1003455u);
  EXPECT_EQ(io->syscr, 671u);
  EXPECT_EQ(io->syscw, 32u);
  EXPECT_EQ(io->read_bytes, 8192u);
  EXPECT_EQ(io->write_bytes, 1011712u);
  EXPECT_EQ(io->cancelled_write_bytes, 12288u);
  EXPECT_FALSE(proc::parse_pid_io("nothing here\n"));
}

TEST(Parsers, SystemStat) {
  auto s = proc::parse_system_stat(data("proc_stat.txt"));
  ASSERT_TRUE(s);
  ASSERT_EQ(s->cpus.size(), 3u);  // total + 2 cores
  EXPECT_EQ(s->cpus[0].name, "total");
  EXPECT_EQ(s->cpus[1].name, "cpu0");
  EXPECT_EQ(s->cpus[2].name, "cpu1");
  // The total line is the sum of the per-core lines, field by field.
  EXPECT_EQ(s->cpus[0].user, s->cpus[1].user + s->cpus[2].user);
  EXPECT_EQ(s->cpus[0].idle, s->cpus[1].idle + s->cpus[2].idle);
  EXPECT_GT(s->context_switches, 0u);
  EXPECT_GT(s->boot_time_s, 1'600'000'000u);
  EXPECT_GE(s->procs_running, 1u);
  EXPECT_FALSE(proc::parse_system_stat("intr 1 2 3\n"));
}

TEST(Parsers, SystemStatExactFields) {
  auto s = proc::parse_system_stat("cpu  10 1 20 300 4 5 6 7 8 9\ncpu0 10 1 20 300 4 5 6 7 8 9\nctxt 99\nprocs_running 3\n");
  ASSERT_TRUE(s);
  const auto& c = s->cpus[0];
  EXPECT_EQ(c.user, 10u);
  EXPECT_EQ(c.nice, 1u);
  EXPECT_EQ(c.system, 20u);
  EXPECT_EQ(c.idle, 300u);
  EXPECT_EQ(c.iowait, 4u);
  EXPECT_EQ(c.irq, 5u);
  EXPECT_EQ(c.softirq, 6u);
  EXPECT_EQ(c.steal, 7u);
  EXPECT_EQ(c.guest, 8u);
  EXPECT_EQ(c.guest_nice, 9u);
  EXPECT_EQ(c.busy(), 10u + 1 + 20 + 5 + 6 + 7);
  EXPECT_EQ(c.all(), c.busy() + 300 + 4);
  EXPECT_EQ(s->context_switches, 99u);
  EXPECT_EQ(s->procs_running, 3u);
}

TEST(Parsers, Meminfo) {
  auto m = proc::parse_meminfo(data("meminfo.txt"));
  ASSERT_TRUE(m.count("MemTotal"));
  ASSERT_TRUE(m.count("MemAvailable"));
  EXPECT_GT(m["MemTotal"], 20ull << 30);  // this VM has 23.5 GiB
  EXPECT_LE(m["MemAvailable"], m["MemTotal"]);
  EXPECT_EQ(m["MemTotal"] % 1024, 0u);  // kB converted to bytes
  auto exact = proc::parse_meminfo("MemTotal:       24684092 kB\nHugePages_Total:       7\n");
  EXPECT_EQ(exact["MemTotal"], 24684092ull * 1024);
  EXPECT_EQ(exact["HugePages_Total"], 7u);  // a count, no unit
}

TEST(Parsers, DiskstatsCaptured) {
  auto disks = proc::parse_diskstats(data("diskstats.txt"));
  ASSERT_EQ(disks.size(), 10u);
  const auto& vda = disks[8];
  EXPECT_EQ(vda.name, "vda");
  EXPECT_EQ(vda.major, 254u);
  EXPECT_EQ(vda.minor, 0u);
  EXPECT_GT(vda.sectors_written, 0u);
  EXPECT_EQ(vda.written_bytes(), vda.sectors_written * 512);
}

TEST(Parsers, DiskstatsPartitionsOldAndNewFormats) {
  auto disks = proc::parse_diskstats(data("diskstats_partitions.txt"));
  ASSERT_EQ(disks.size(), 7u);
  EXPECT_EQ(disks[3].name, "nvme0n1p2");
  EXPECT_EQ(disks[3].sectors_written, 153843152u);
  EXPECT_EQ(disks[3].written_bytes(), 153843152ull * 512);
  EXPECT_EQ(disks[4].name, "sda");  // 14-field line of an older kernel
  EXPECT_EQ(disks[4].reads, 4129u);
  EXPECT_EQ(disks[4].sectors_written, 70616u);
  EXPECT_EQ(disks[4].weighted_io_ms, 6021u);
  EXPECT_EQ(disks[6].name, "dm-0");
  EXPECT_EQ(disks[6].in_flight, 3u);
}

TEST(Parsers, NetDev) {
  auto nets = proc::parse_net_dev(data("net_dev.txt"));
  ASSERT_EQ(nets.size(), 4u);
  EXPECT_EQ(nets[0].name, "lo");
  EXPECT_EQ(nets[0].rx_bytes, nets[0].tx_bytes);  // loopback receives what it sends
  EXPECT_EQ(nets[3].name, "eth0");
  auto exact = proc::parse_net_dev(
      "Inter-|   Receive |  Transmit\n face |bytes packets\n"
      "  eth1: 100 2 3 4 0 0 0 0 500 6 7 8 0 0 0 0\n");
  ASSERT_EQ(exact.size(), 1u);
  EXPECT_EQ(exact[0].name, "eth1");
  EXPECT_EQ(exact[0].rx_bytes, 100u);
  EXPECT_EQ(exact[0].rx_packets, 2u);
  EXPECT_EQ(exact[0].rx_errors, 3u);
  EXPECT_EQ(exact[0].rx_drops, 4u);
  EXPECT_EQ(exact[0].tx_bytes, 500u);
  EXPECT_EQ(exact[0].tx_packets, 6u);
  EXPECT_EQ(exact[0].tx_errors, 7u);
  EXPECT_EQ(exact[0].tx_drops, 8u);
}

TEST(Parsers, Loadavg) {
  auto l = proc::parse_loadavg(data("loadavg.txt"));
  ASSERT_TRUE(l);
  EXPECT_DOUBLE_EQ(l->load1, 1.50);
  EXPECT_DOUBLE_EQ(l->load5, 0.53);
  EXPECT_DOUBLE_EQ(l->load15, 0.20);
  EXPECT_EQ(l->runnable, 1);
  EXPECT_EQ(l->scheduling_entities, 88);
  EXPECT_FALSE(proc::parse_loadavg("1.0 2.0"));
}

TEST(Parsers, Mountinfo) {
  auto mounts = proc::parse_mountinfo(data("mountinfo_cases.txt"));
  ASSERT_EQ(mounts.size(), 4u);
  EXPECT_EQ(mounts[1].mount_point, "/");
  EXPECT_EQ(mounts[1].major, 254u);
  EXPECT_EQ(mounts[1].source, "/dev/vda");
  EXPECT_EQ(mounts[2].fs_type, "btrfs");  // optional field "shared:33" before the separator
  EXPECT_EQ(mounts[2].major, 0u);
  EXPECT_EQ(mounts[2].minor, 45u);
  EXPECT_EQ(mounts[2].root, "/@home");
  EXPECT_EQ(mounts[2].source, "/dev/mapper/vg-home");
  EXPECT_EQ(mounts[3].mount_point, "/mnt/my disk");  // \040 decoded
  EXPECT_EQ(mounts[3].source, "/dev/sda1");
  EXPECT_GE(proc::parse_mountinfo(data("mountinfo.txt")).size(), 10u);
}
