// The machine as hwloc sees it, and where a thread or process is bound. The topology
// is loaded once per process (a few ms) and shared, read-only, by every caller.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hpcmon::sampler {

struct Binding {
  std::string cpuset;  // hwloc list syntax, e.g. "0-1" or "0,2"; empty if unknown
  int numa_node = -1;  // the one NUMA node the cpuset lies in, -1 if it spans several or is unknown
};

Binding current_binding();            // the calling thread
Binding process_binding(pid_t pid);   // any process (its CPU binding as a whole)

struct TopologySummary {
  bool loaded = false;
  std::string error;  // why hwloc could not load, if it could not
  int packages = 0, numa_nodes = 0, cores = 0, processing_units = 0;
  std::vector<std::uint64_t> numa_memory_bytes;  // per NUMA node, as hwloc reports it
  std::vector<std::pair<int, std::uint64_t>> caches;  // (level, size in bytes) of the first core's caches
  std::string machine_cpuset;  // the whole machine's PUs, list syntax
  std::string one_line() const;  // "1 package, 1 NUMA node (5.0 GiB), 2 cores, 2 PUs, L1d 32 KiB, ..."
};

TopologySummary topology_summary();

}  // namespace hpcmon::sampler
