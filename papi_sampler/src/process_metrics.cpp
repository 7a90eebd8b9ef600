#include "hpcmon/sampler/process_metrics.hpp"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "counter_backend.hpp"
#include "hpcmon/sampler/proc_parsers.hpp"

namespace hpcmon::sampler {
namespace {

double seconds_per_tick() {
  static const double value = 1.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  return value;
}

std::uint64_t page_size() {
  static const std::uint64_t value = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  return value;
}

}  // namespace

ProcessSampler::ProcessSampler(const std::vector<pid_t>& pids) {
  for (pid_t pid : pids) add(pid);
}

void ProcessSampler::add(pid_t pid) {
  if (files_.count(pid)) return;
  const std::string dir = "/proc/" + std::to_string(pid) + "/";
  files_.emplace(pid, Files{ProcFile(dir + "stat"), ProcFile(dir + "status"), ProcFile(dir + "io")});
}

void ProcessSampler::remove(pid_t pid) { files_.erase(pid); }

std::vector<pid_t> ProcessSampler::pids() const {
  std::vector<pid_t> out;
  for (const auto& [pid, files] : files_) out.push_back(pid);
  return out;
}

std::vector<ProcessSample> ProcessSampler::sample() {
  std::vector<ProcessSample> out;
  out.reserve(files_.size());
  for (auto& [pid, files] : files_) out.push_back(read(pid, files));
  return out;
}

ProcessSample ProcessSampler::read_once(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/";
  Files files{ProcFile(dir + "stat"), ProcFile(dir + "status"), ProcFile(dir + "io")};
  return read(pid, files);
}

ProcessSample ProcessSampler::read(pid_t pid, Files& files) {
  ProcessSample s;
  s.pid = pid;
  std::string_view text;
  if (!files.stat.read(text)) return s;
  auto stat = proc::parse_pid_stat(text);
  if (!stat) return s;
  s.alive = true;
  s.comm = stat->comm;
  s.state = stat->state;
  s.cpu_user_s = static_cast<double>(stat->utime_ticks) * seconds_per_tick();
  s.cpu_system_s = static_cast<double>(stat->stime_ticks) * seconds_per_tick();
  s.rss_bytes = stat->rss_pages > 0 ? static_cast<std::uint64_t>(stat->rss_pages) * page_size() : 0;
  s.virtual_bytes = stat->vsize_bytes;
  s.minor_faults = stat->minflt;
  s.major_faults = stat->majflt;
  s.threads = stat->num_threads;
  s.last_cpu = stat->processor;
  if (files.status.read(text)) {
    if (auto status = proc::parse_pid_status(text)) {
      s.rss_bytes = status->vm_rss_bytes;
      s.rss_high_water_bytes = status->vm_hwm_bytes;
      s.threads = status->threads;
    }
  }
  if (files.io.read(text)) {
    if (auto io = proc::parse_pid_io(text)) {
      s.io_available = true;
      s.read_bytes = io->read_bytes;
      s.write_bytes = io->write_bytes;
      s.read_chars = io->rchar;
      s.write_chars = io->wchar;
    }
  }
  return s;
}

std::string ProcessSource::start() {
  sampler_ = std::make_unique<ProcessSampler>(pids_);
  // Processes end all the time; only a set with none alive cannot start.
  for (pid_t pid : pids_)
    if (kill(pid, 0) == 0 || errno != ESRCH) return {};
  sampler_.reset();
  return "proc.process: none of the " + std::to_string(pids_.size()) + " processes exists";
}

void ProcessSource::sample(std::vector<Metric>& out) {
  if (!sampler_) {
    count_error();
    return;
  }
  const std::int64_t now = monotonic_ns();
  for (const auto& s : sampler_->sample()) {
    const std::string prefix = "proc." + std::to_string(s.pid) + ".";
    if (!s.alive) continue;  // it ended: not an error, its series just stops
    out.push_back({prefix + "cpu_user_s", s.cpu_user_s, "s"});
    out.push_back({prefix + "cpu_system_s", s.cpu_system_s, "s"});
    out.push_back({prefix + "rss_bytes", static_cast<double>(s.rss_bytes), "B"});
    out.push_back({prefix + "rss_high_water_bytes", static_cast<double>(s.rss_high_water_bytes), "B"});
    out.push_back({prefix + "threads", static_cast<double>(s.threads), "1"});
    const auto cpu_ns = static_cast<std::uint64_t>((s.cpu_user_s + s.cpu_system_s) * 1e9);
    if (auto rate = rates_.update(prefix + "cpu", cpu_ns, now)) out.push_back({prefix + "cpu_percent", *rate * 1e-7, "%"});
    if (!s.io_available) continue;
    out.push_back({prefix + "read_bytes", static_cast<double>(s.read_bytes), "B"});
    out.push_back({prefix + "write_bytes", static_cast<double>(s.write_bytes), "B"});
    if (auto rate = rates_.update(prefix + "read", s.read_bytes, now)) out.push_back({prefix + "read_bytes_per_s", *rate, "B/s"});
    if (auto rate = rates_.update(prefix + "write", s.write_bytes, now)) out.push_back({prefix + "write_bytes_per_s", *rate, "B/s"});
  }
}

}  // namespace hpcmon::sampler
