// Pure parsers of /proc and /sys text: text in, numbers out, no I/O, no globals.
// They are tested on captured files in tests/data/. Units are kept as the kernel
// gives them (clock ticks, pages, sectors); conversion happens in the samplers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hpcmon::sampler::proc {

// /proc/<pid>/stat. comm may hold spaces and ')' : it spans to the last ')'.
struct PidStat {
  int pid = 0;
  std::string comm;
  char state = '?';
  int ppid = 0;
  std::uint64_t minflt = 0, majflt = 0;
  std::uint64_t utime_ticks = 0, stime_ticks = 0;
  long num_threads = 0;
  std::uint64_t starttime_ticks = 0;
  std::uint64_t vsize_bytes = 0;
  std::int64_t rss_pages = 0;
  int processor = -1;  // CPU last run on
};
std::optional<PidStat> parse_pid_stat(std::string_view text);

// /proc/<pid>/status: the memory and thread lines, in bytes.
struct PidStatus {
  std::uint64_t vm_peak_bytes = 0, vm_size_bytes = 0;
  std::uint64_t vm_hwm_bytes = 0, vm_rss_bytes = 0, vm_swap_bytes = 0;
  long threads = 0;
  std::uint64_t voluntary_ctxt_switches = 0, nonvoluntary_ctxt_switches = 0;
  std::string cpus_allowed_list;
};
std::optional<PidStatus> parse_pid_status(std::string_view text);

// /proc/<pid>/io (readable by the owner with ptrace access, or root).
struct PidIo {
  std::uint64_t rchar = 0, wchar = 0, syscr = 0, syscw = 0;
  std::uint64_t read_bytes = 0, write_bytes = 0, cancelled_write_bytes = 0;
};
std::optional<PidIo> parse_pid_io(std::string_view text);

// /proc/stat: one CpuTimes for "cpu" (total, name "total") then one per "cpuN".
struct CpuTimes {
  std::string name;  // "total", "cpu0", "cpu1", ...
  std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0;
  std::uint64_t irq = 0, softirq = 0, steal = 0, guest = 0, guest_nice = 0;
  std::uint64_t busy() const { return user + nice + system + irq + softirq + steal; }
  std::uint64_t all() const { return busy() + idle + iowait; }  // guest is inside user
};
struct SystemStat {
  std::vector<CpuTimes> cpus;  // cpus[0] is the total
  std::uint64_t context_switches = 0, forks = 0, boot_time_s = 0;
  std::uint64_t procs_running = 0, procs_blocked = 0;
};
std::optional<SystemStat> parse_system_stat(std::string_view text);

// /proc/meminfo, every line, in bytes (lines without "kB" such as HugePages_Total stay counts).
std::map<std::string, std::uint64_t> parse_meminfo(std::string_view text);

// /proc/diskstats. Sectors are always 512 bytes there, whatever the device's block size.
struct DiskStats {
  unsigned major = 0, minor = 0;
  std::string name;
  std::uint64_t reads = 0, reads_merged = 0, sectors_read = 0, read_ms = 0;
  std::uint64_t writes = 0, writes_merged = 0, sectors_written = 0, write_ms = 0;
  std::uint64_t in_flight = 0, io_ms = 0, weighted_io_ms = 0;
  std::uint64_t read_bytes() const { return sectors_read * 512; }
  std::uint64_t written_bytes() const { return sectors_written * 512; }
};
std::vector<DiskStats> parse_diskstats(std::string_view text);

// /proc/net/dev.
struct NetDev {
  std::string name;
  std::uint64_t rx_bytes = 0, rx_packets = 0, rx_errors = 0, rx_drops = 0;
  std::uint64_t tx_bytes = 0, tx_packets = 0, tx_errors = 0, tx_drops = 0;
};
std::vector<NetDev> parse_net_dev(std::string_view text);

// /proc/loadavg.
struct LoadAvg {
  double load1 = 0, load5 = 0, load15 = 0;
  long runnable = 0, scheduling_entities = 0;
};
std::optional<LoadAvg> parse_loadavg(std::string_view text);

// /proc/self/mountinfo; octal escapes (\040 for a space) in paths are decoded.
struct Mount {
  unsigned major = 0, minor = 0;
  std::string root, mount_point, fs_type, source;
};
std::vector<Mount> parse_mountinfo(std::string_view text);

}  // namespace hpcmon::sampler::proc
