#include "hpcmon/agent/node_sampler.hpp"

#include <time.h>

#include <map>

#include "hpcmon/sampler/block_device.hpp"
#include "hpcmon/sampler/system_metrics.hpp"

namespace hpcmon::agent {
namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "disk.vda.read_bytes" -> "vda"
std::string middle(const std::string& name, std::size_t prefix, std::string_view suffix) {
  return name.substr(prefix, name.size() - prefix - suffix.size());
}

bool is_whole_disk(const std::string& device) {
  static std::map<std::string, bool> cache;
  auto it = cache.find(device);
  if (it == cache.end()) it = cache.emplace(device, sampler::whole_disk_of(device) == device).first;
  return it->second;
}

}  // namespace

std::int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::vector<Reading> NodeSnapshot::row() const {
  std::vector<Reading> out;
  if (cpu_util) out.push_back({"cpu_util", "1", *cpu_util});
  for (const auto& [core, util] : core_util) out.push_back({core + "_util", "1", util});
  out.push_back({"mem_used", "B", mem_used_bytes});
  out.push_back({"load1", "1", load1});
  if (disk_read_per_s) out.push_back({"disk_read", "B/s", *disk_read_per_s});
  if (disk_write_per_s) out.push_back({"disk_write", "B/s", *disk_write_per_s});
  if (net_rx_per_s) out.push_back({"net_rx", "B/s", *net_rx_per_s});
  if (net_tx_per_s) out.push_back({"net_tx", "B/s", *net_tx_per_s});
  return out;
}

NodeSampler::NodeSampler() {
  for (auto& source : sampler::make_system_sources()) {
    if (source->name() == "statvfs.filesystems") continue;  // fullness is the head's business
    std::string error = source->start();
    if (error.empty()) sources_.push_back(std::move(source));
    else start_errors_.push_back(std::move(error));
  }
}

std::uint64_t NodeSampler::errors() const {
  std::uint64_t n = 0;
  for (const auto& s : sources_) n += s->errors();
  return n;
}

NodeSnapshot NodeSampler::sample() {
  std::vector<sampler::Metric> metrics;
  for (auto& source : sources_) source->sample(metrics);
  NodeSnapshot s;
  s.t_ns = realtime_ns();
  for (const auto& m : metrics) {
    const std::string& n = m.name;
    if (n == "cpu.total.busy_percent") s.cpu_util = m.value / 100;
    else if (n.rfind("cpu.cpu", 0) == 0 && ends_with(n, ".busy_percent"))
      s.core_util.emplace_back(middle(n, 4, ".busy_percent"), m.value / 100);
    else if (n == "mem.used_bytes") s.mem_used_bytes = m.value;
    else if (n == "mem.total_bytes") s.mem_total_bytes = m.value;
    else if (n == "load.1m") s.load1 = m.value;
    else if (n.rfind("disk.", 0) == 0 && ends_with(n, ".read_bytes")) {
      if (is_whole_disk(middle(n, 5, ".read_bytes"))) s.disk_read_bytes += m.value;
    } else if (n.rfind("disk.", 0) == 0 && ends_with(n, ".written_bytes")) {
      if (is_whole_disk(middle(n, 5, ".written_bytes"))) s.disk_write_bytes += m.value;
    } else if (n.rfind("net.", 0) == 0 && ends_with(n, ".rx_bytes")) {
      if (middle(n, 4, ".rx_bytes") != "lo") s.net_rx_bytes += m.value;
    } else if (n.rfind("net.", 0) == 0 && ends_with(n, ".tx_bytes")) {
      if (middle(n, 4, ".tx_bytes") != "lo") s.net_tx_bytes += m.value;
    }
  }
  if (previous_ && s.t_ns > previous_->t_ns) {
    const double dt = static_cast<double>(s.t_ns - previous_->t_ns) * 1e-9;
    // a device or interface that disappears lowers the sum: never a negative rate
    auto rate = [dt](double now, double before) { return now >= before ? (now - before) / dt : 0.0; };
    s.disk_read_per_s = rate(s.disk_read_bytes, previous_->disk_read_bytes);
    s.disk_write_per_s = rate(s.disk_write_bytes, previous_->disk_write_bytes);
    s.net_rx_per_s = rate(s.net_rx_bytes, previous_->net_rx_bytes);
    s.net_tx_per_s = rate(s.net_tx_bytes, previous_->net_tx_bytes);
  }
  previous_ = s;
  return s;
}

}  // namespace hpcmon::agent
