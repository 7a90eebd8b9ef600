// Where this rank runs: its CPU affinity in list syntax and the one NUMA node that holds it,
// from sched_getaffinity and /sys/devices/system/node/node*/cpulist. libc only: no hwloc
// topology is loaded in a rank (its x86 backend migrates the thread across cores to probe).
#pragma once

#include <cstddef>

namespace hpcmon::mpi {

// cpuset "0-1" or "0,2" (empty if unknown); numa_node -1 when the set spans several nodes or
// the machine does not say.
void current_binding(char* cpuset, std::size_t cap, int* numa_node);

}  // namespace hpcmon::mpi
