// The node's own metrics, read through papi_sampler's system sources (/proc/stat, meminfo,
// diskstats, net/dev, loadavg): one reading of CPU per core and in total, memory, load,
// disk and network, with per-second rates against the previous reading.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hpcmon/agent/sample_table.hpp"
#include "hpcmon/sampler/source.hpp"

namespace hpcmon::agent {

struct NodeSnapshot {
  std::int64_t t_ns = 0;                // realtime, ns since the epoch
  std::optional<double> cpu_util;       // 0..1 busy share of all CPUs since the previous reading
  std::vector<std::pair<std::string, double>> core_util;  // "cpu0" -> 0..1
  double mem_used_bytes = 0, mem_total_bytes = 0, load1 = 0;
  // cumulative bytes since boot, whole disks only (partitions would count twice), network without lo
  double disk_read_bytes = 0, disk_write_bytes = 0, net_rx_bytes = 0, net_tx_bytes = 0;
  std::optional<double> disk_read_per_s, disk_write_per_s, net_rx_per_s, net_tx_per_s;
  std::vector<Reading> row() const;  // the node series of one instant
};

class NodeSampler {
 public:
  NodeSampler();
  NodeSnapshot sample();
  // One line per source that could not start here.
  const std::vector<std::string>& start_errors() const { return start_errors_; }
  std::uint64_t errors() const;

 private:
  std::vector<std::unique_ptr<sampler::Source>> sources_;
  std::vector<std::string> start_errors_;
  std::optional<NodeSnapshot> previous_;
};

std::int64_t realtime_ns();

}  // namespace hpcmon::agent
