#include "hpcmon/sampler/proc_parsers.hpp"

#include <charconv>

namespace hpcmon::sampler::proc {
namespace {

// Splits on spaces and tabs, skipping empty fields.
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

// Calls fn(line) for each line, without the newline.
template <typename Fn>
void for_each_line(std::string_view text, Fn fn) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    fn(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

template <typename T>
bool to_number(std::string_view s, T& out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::uint64_t u64(std::string_view s) {
  std::uint64_t v = 0;
  return to_number(s, v) ? v : 0;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// "VmHWM:\t  1844 kB" -> bytes; a value without a unit stays a count.
std::optional<std::uint64_t> kib_value(std::string_view rest) {
  auto f = fields(rest);
  if (f.empty()) return std::nullopt;
  std::uint64_t v = 0;
  if (!to_number(f[0], v)) return std::nullopt;
  if (f.size() > 1 && (f[1] == "kB" || f[1] == "KB")) v *= 1024;
  return v;
}

std::string decode_octal(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool ok = true;
      for (std::size_t k = 1; k <= 3; ++k) {
        char c = s[i + k];
        if (c < '0' || c > '7') { ok = false; break; }
        v = v * 8 + (c - '0');
      }
      if (ok) { out.push_back(static_cast<char>(v)); i += 3; continue; }
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

std::optional<PidStat> parse_pid_stat(std::string_view text) {
  auto open = text.find('(');
  auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  PidStat s;
  auto head = fields(text.substr(0, open));
  if (head.size() != 1 || !to_number(head[0], s.pid)) return std::nullopt;
  s.comm = std::string(text.substr(open + 1, close - open - 1));
  auto f = fields(text.substr(close + 1));
  // f[0] is field 3 (state) of proc(5); field n is f[n - 3].
  if (f.size() < 22) return std::nullopt;  // up to rss (field 24)
  auto field = [&](int n) { return f[static_cast<std::size_t>(n - 3)]; };
  s.state = field(3).empty() ? '?' : field(3)[0];
  to_number(field(4), s.ppid);
  s.minflt = u64(field(10));
  s.majflt = u64(field(12));
  s.utime_ticks = u64(field(14));
  s.stime_ticks = u64(field(15));
  to_number(field(20), s.num_threads);
  s.starttime_ticks = u64(field(22));
  s.vsize_bytes = u64(field(23));
  to_number(field(24), s.rss_pages);
  if (f.size() >= 37) to_number(field(39), s.processor);
  return s;
}

std::optional<PidStatus> parse_pid_status(std::string_view text) {
  PidStatus s;
  bool any = false;
  for_each_line(text, [&](std::string_view line) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return;
    auto key = line.substr(0, colon);
    auto rest = line.substr(colon + 1);
    auto value = kib_value(rest);
    if (key == "Cpus_allowed_list") {
      auto f = fields(rest);
      if (!f.empty()) s.cpus_allowed_list = std::string(f[0]);
      return;
    }
    if (!value) return;
    any = true;
    if (key == "VmPeak") s.vm_peak_bytes = *value;
    else if (key == "VmSize") s.vm_size_bytes = *value;
    else if (key == "VmHWM") s.vm_hwm_bytes = *value;
    else if (key == "VmRSS") s.vm_rss_bytes = *value;
    else if (key == "VmSwap") s.vm_swap_bytes = *value;
    else if (key == "Threads") s.threads = static_cast<long>(*value);
    else if (key == "voluntary_ctxt_switches") s.voluntary_ctxt_switches = *value;
    else if (key == "nonvoluntary_ctxt_switches") s.nonvoluntary_ctxt_switches = *value;
  });
  if (!any) return std::nullopt;
  return s;
}

std::optional<PidIo> parse_pid_io(std::string_view text) {
  PidIo io;
  int seen = 0;
  for_each_line(text, [&](std::string_view line) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return;
    auto key = line.substr(0, colon);
    auto f = fields(line.substr(colon + 1));
    if (f.empty()) return;
    std::uint64_t v = 0;
    if (!to_number(f[0], v)) return;
    ++seen;
    if (key == "rchar") io.rchar = v;
    else if (key == "wchar") io.wchar = v;
    else if (key == "syscr") io.syscr = v;
    else if (key == "syscw") io.syscw = v;
    else if (key == "read_bytes") io.read_bytes = v;
    else if (key == "write_bytes") io.write_bytes = v;
    else if (key == "cancelled_write_bytes") io.cancelled_write_bytes = v;
    else --seen;
  });
  if (seen == 0) return std::nullopt;
  return io;
}

std::optional<SystemStat> parse_system_stat(std::string_view text) {
  SystemStat s;
  for_each_line(text, [&](std::string_view line) {
    auto f = fields(line);
    if (f.size() < 2) return;
    if (starts_with(f[0], "cpu")) {
      CpuTimes c;
      c.name = f[0] == "cpu" ? "total" : std::string(f[0]);
      std::uint64_t* slots[] = {&c.user, &c.nice, &c.system, &c.idle, &c.iowait,
                                &c.irq,  &c.softirq, &c.steal, &c.guest, &c.guest_nice};
      for (std::size_t i = 0; i < 10 && i + 1 < f.size(); ++i) *slots[i] = u64(f[i + 1]);
      s.cpus.push_back(std::move(c));
    } else if (f[0] == "ctxt") {
      s.context_switches = u64(f[1]);
    } else if (f[0] == "processes") {
      s.forks = u64(f[1]);
    } else if (f[0] == "btime") {
      s.boot_time_s = u64(f[1]);
    } else if (f[0] == "procs_running") {
      s.procs_running = u64(f[1]);
    } else if (f[0] == "procs_blocked") {
      s.procs_blocked = u64(f[1]);
    }
  });
  if (s.cpus.empty() || s.cpus[0].name != "total") return std::nullopt;
  return s;
}

std::map<std::string, std::uint64_t> parse_meminfo(std::string_view text) {
  std::map<std::string, std::uint64_t> out;
  for_each_line(text, [&](std::string_view line) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return;
    if (auto v = kib_value(line.substr(colon + 1))) out[std::string(line.substr(0, colon))] = *v;
  });
  return out;
}

std::vector<DiskStats> parse_diskstats(std::string_view text) {
  std::vector<DiskStats> out;
  for_each_line(text, [&](std::string_view line) {
    auto f = fields(line);
    if (f.size() < 14) return;
    DiskStats d;
    if (!to_number(f[0], d.major) || !to_number(f[1], d.minor)) return;
    d.name = std::string(f[2]);
    std::uint64_t* slots[] = {&d.reads,  &d.reads_merged,  &d.sectors_read,    &d.read_ms,  &d.writes,
                              &d.writes_merged, &d.sectors_written, &d.write_ms, &d.in_flight, &d.io_ms,
                              &d.weighted_io_ms};
    for (std::size_t i = 0; i < 11; ++i) *slots[i] = u64(f[i + 3]);
    out.push_back(std::move(d));
  });
  return out;
}

std::vector<NetDev> parse_net_dev(std::string_view text) {
  std::vector<NetDev> out;
  for_each_line(text, [&](std::string_view line) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return;  // the two header lines have '|' not ':'
    auto name_f = fields(line.substr(0, colon));
    auto f = fields(line.substr(colon + 1));
    if (name_f.size() != 1 || f.size() < 16) return;
    NetDev n;
    n.name = std::string(name_f[0]);
    n.rx_bytes = u64(f[0]);
    n.rx_packets = u64(f[1]);
    n.rx_errors = u64(f[2]);
    n.rx_drops = u64(f[3]);
    n.tx_bytes = u64(f[8]);
    n.tx_packets = u64(f[9]);
    n.tx_errors = u64(f[10]);
    n.tx_drops = u64(f[11]);
    out.push_back(std::move(n));
  });
  return out;
}

std::optional<LoadAvg> parse_loadavg(std::string_view text) {
  auto f = fields(text.substr(0, text.find('\n')));
  if (f.size() < 4) return std::nullopt;
  LoadAvg l;
  if (!to_number(f[0], l.load1) || !to_number(f[1], l.load5) || !to_number(f[2], l.load15)) return std::nullopt;
  auto slash = f[3].find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  if (!to_number(f[3].substr(0, slash), l.runnable) || !to_number(f[3].substr(slash + 1), l.scheduling_entities))
    return std::nullopt;
  return l;
}

std::vector<Mount> parse_mountinfo(std::string_view text) {
  std::vector<Mount> out;
  for_each_line(text, [&](std::string_view line) {
    auto f = fields(line);
    // id parent major:minor root mount-point options [optional...] - fstype source super-options
    if (f.size() < 10) return;
    Mount m;
    auto colon = f[2].find(':');
    if (colon == std::string_view::npos || !to_number(f[2].substr(0, colon), m.major) ||
        !to_number(f[2].substr(colon + 1), m.minor))
      return;
    m.root = decode_octal(f[3]);
    m.mount_point = decode_octal(f[4]);
    std::size_t dash = 6;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (dash + 2 >= f.size()) return;
    m.fs_type = std::string(f[dash + 1]);
    m.source = decode_octal(f[dash + 2]);
    out.push_back(std::move(m));
  });
  return out;
}

}  // namespace hpcmon::sampler::proc
