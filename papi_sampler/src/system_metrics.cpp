#include "hpcmon/sampler/system_metrics.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <set>

#include <cerrno>
#include <cstring>

#include "counter_backend.hpp"

namespace hpcmon::sampler {

std::optional<double> cpu_busy_fraction(const proc::CpuTimes& before, const proc::CpuTimes& after) {
  const std::uint64_t all = counter_delta(before.all(), after.all());
  if (all == 0) return std::nullopt;
  const std::uint64_t busy = counter_delta(before.busy(), after.busy());
  return static_cast<double>(std::min(busy, all)) / static_cast<double>(all);
}

std::string ProcFileSource::start() {
  file_ = ProcFile(path_);
  if (!file_.is_open()) return std::string(name()) + ": cannot open " + path_ + ": " + std::strerror(file_.open_errno());
  return {};
}

void ProcFileSource::sample(std::vector<Metric>& out) {
  std::string_view text;
  if (!file_.read(text)) {
    count_error();
    return;
  }
  const std::size_t before = out.size();
  parse(text, monotonic_ns(), out);
  if (out.size() == before) count_error();  // text that yields nothing is a parse failure
}

void CpuSource::parse(std::string_view text, std::int64_t now_ns, std::vector<Metric>& out) {
  auto stat = proc::parse_system_stat(text);
  if (!stat) return;
  static const double seconds_per_tick = 1.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  for (const auto& cpu : stat->cpus) {
    const std::string prefix = "cpu." + cpu.name + ".";
    out.push_back({prefix + "user_s", static_cast<double>(cpu.user + cpu.nice) * seconds_per_tick, "s"});
    out.push_back({prefix + "system_s", static_cast<double>(cpu.system + cpu.irq + cpu.softirq) * seconds_per_tick, "s"});
    out.push_back({prefix + "idle_s", static_cast<double>(cpu.idle) * seconds_per_tick, "s"});
    out.push_back({prefix + "iowait_s", static_cast<double>(cpu.iowait) * seconds_per_tick, "s"});
    out.push_back({prefix + "steal_s", static_cast<double>(cpu.steal) * seconds_per_tick, "s"});
    for (const auto& old : previous_)
      if (old.name == cpu.name)
        if (auto busy = cpu_busy_fraction(old, cpu)) out.push_back({prefix + "busy_percent", *busy * 100, "%"});
  }
  out.push_back({"cpu.context_switches", static_cast<double>(stat->context_switches), "1"});
  if (auto rate = rates_.update("ctxt", stat->context_switches, now_ns))
    out.push_back({"cpu.context_switches_per_s", *rate, "1/s"});
  out.push_back({"cpu.procs_running", static_cast<double>(stat->procs_running), "1"});
  out.push_back({"cpu.procs_blocked", static_cast<double>(stat->procs_blocked), "1"});
  previous_ = std::move(stat->cpus);
}

void MemorySource::parse(std::string_view text, std::int64_t, std::vector<Metric>& out) {
  auto mem = proc::parse_meminfo(text);
  auto get = [&](const char* key) -> std::optional<double> {
    auto it = mem.find(key);
    if (it == mem.end()) return std::nullopt;
    return static_cast<double>(it->second);
  };
  auto total = get("MemTotal"), available = get("MemAvailable");
  if (!total) return;
  out.push_back({"mem.total_bytes", *total, "B"});
  if (available) {
    out.push_back({"mem.available_bytes", *available, "B"});
    out.push_back({"mem.used_bytes", *total - *available, "B"});
  }
  if (auto v = get("Cached")) out.push_back({"mem.cached_bytes", *v, "B"});
  if (auto v = get("Buffers")) out.push_back({"mem.buffers_bytes", *v, "B"});
  if (auto st = get("SwapTotal"), sf = get("SwapFree"); st && sf) {
    out.push_back({"mem.swap_total_bytes", *st, "B"});
    out.push_back({"mem.swap_used_bytes", *st - *sf, "B"});
  }
}

void DiskSource::parse(std::string_view text, std::int64_t now_ns, std::vector<Metric>& out) {
  for (const auto& d : proc::parse_diskstats(text)) {
    if (d.reads == 0 && d.writes == 0) continue;
    const std::string prefix = "disk." + d.name + ".";
    out.push_back({prefix + "read_bytes", static_cast<double>(d.read_bytes()), "B"});
    out.push_back({prefix + "written_bytes", static_cast<double>(d.written_bytes()), "B"});
    out.push_back({prefix + "reads", static_cast<double>(d.reads), "1"});
    out.push_back({prefix + "writes", static_cast<double>(d.writes), "1"});
    out.push_back({prefix + "io_time_s", static_cast<double>(d.io_ms) * 1e-3, "s"});
    if (auto r = rates_.update(prefix + "r", d.read_bytes(), now_ns)) out.push_back({prefix + "read_bytes_per_s", *r, "B/s"});
    if (auto r = rates_.update(prefix + "w", d.written_bytes(), now_ns)) out.push_back({prefix + "written_bytes_per_s", *r, "B/s"});
    // io_ticks is an unsigned int in the kernel: it wraps at 2^32 ms (~50 days).
    if (auto r = rates_.update(prefix + "t", d.io_ms, now_ns, 32)) out.push_back({prefix + "busy_percent", *r * 0.1, "%"});
  }
}

void NetworkSource::parse(std::string_view text, std::int64_t now_ns, std::vector<Metric>& out) {
  for (const auto& n : proc::parse_net_dev(text)) {
    const std::string prefix = "net." + n.name + ".";
    out.push_back({prefix + "rx_bytes", static_cast<double>(n.rx_bytes), "B"});
    out.push_back({prefix + "tx_bytes", static_cast<double>(n.tx_bytes), "B"});
    out.push_back({prefix + "rx_packets", static_cast<double>(n.rx_packets), "1"});
    out.push_back({prefix + "tx_packets", static_cast<double>(n.tx_packets), "1"});
    out.push_back({prefix + "errors", static_cast<double>(n.rx_errors + n.tx_errors), "1"});
    out.push_back({prefix + "drops", static_cast<double>(n.rx_drops + n.tx_drops), "1"});
    if (auto r = rates_.update(prefix + "rx", n.rx_bytes, now_ns)) out.push_back({prefix + "rx_bytes_per_s", *r, "B/s"});
    if (auto r = rates_.update(prefix + "tx", n.tx_bytes, now_ns)) out.push_back({prefix + "tx_bytes_per_s", *r, "B/s"});
  }
}

void LoadSource::parse(std::string_view text, std::int64_t, std::vector<Metric>& out) {
  auto load = proc::parse_loadavg(text);
  if (!load) return;
  out.push_back({"load.1m", load->load1, "1"});
  out.push_back({"load.5m", load->load5, "1"});
  out.push_back({"load.15m", load->load15, "1"});
  out.push_back({"load.runnable", static_cast<double>(load->runnable), "1"});
}

void FilesystemSource::parse(std::string_view text, std::int64_t, std::vector<Metric>& out) {
  std::set<std::pair<unsigned, unsigned>> seen;  // a filesystem mounted twice (bind mounts) counts once
  for (const auto& m : proc::parse_mountinfo(text)) {
    if (m.source.rfind("/dev/", 0) != 0 || !seen.insert({m.major, m.minor}).second) continue;
    struct statvfs vfs{};
    if (statvfs(m.mount_point.c_str(), &vfs) != 0 || vfs.f_blocks == 0) continue;
    const double unit = static_cast<double>(vfs.f_frsize);
    const double size = static_cast<double>(vfs.f_blocks) * unit;
    const double used = static_cast<double>(vfs.f_blocks - vfs.f_bfree) * unit;
    const double available = static_cast<double>(vfs.f_bavail) * unit;  // what unprivileged users may still use
    const std::string prefix = "fs." + m.mount_point + ".";
    out.push_back({prefix + "size_bytes", size, "B"});
    out.push_back({prefix + "used_bytes", used, "B"});
    out.push_back({prefix + "available_bytes", available, "B"});
    // df's convention: used / (used + available), so reserved blocks count as full.
    if (used + available > 0) out.push_back({prefix + "used_fraction", used / (used + available), "1"});
  }
}

std::vector<std::unique_ptr<Source>> make_system_sources() {
  std::vector<std::unique_ptr<Source>> out;
  out.push_back(std::make_unique<CpuSource>());
  out.push_back(std::make_unique<MemorySource>());
  out.push_back(std::make_unique<DiskSource>());
  out.push_back(std::make_unique<NetworkSource>());
  out.push_back(std::make_unique<LoadSource>());
  out.push_back(std::make_unique<FilesystemSource>());
  return out;
}

}  // namespace hpcmon::sampler
