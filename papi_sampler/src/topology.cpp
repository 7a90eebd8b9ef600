#include "hpcmon/sampler/topology.hpp"

#include <hwloc.h>
#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace hpcmon::sampler {
namespace {

struct LoadedTopology {
  hwloc_topology_t topology = nullptr;
  std::string error;
};

// Loaded once and never destroyed: other threads may still be asking at exit.
const LoadedTopology& shared_topology() {
  static LoadedTopology loaded;
  static std::once_flag once;
  std::call_once(once, [] {
    hwloc_topology_t topo = nullptr;
    if (hwloc_topology_init(&topo) != 0) {
      loaded.error = "hwloc_topology_init failed";
      return;
    }
    if (hwloc_topology_load(topo) != 0) {
      loaded.error = "hwloc_topology_load failed";
      hwloc_topology_destroy(topo);
      return;
    }
    loaded.topology = topo;
  });
  return loaded;
}

std::string list_string(hwloc_const_bitmap_t set) {
  char* text = nullptr;
  if (hwloc_bitmap_list_asprintf(&text, set) < 0 || !text) return {};
  std::string out(text);
  std::free(text);
  return out;
}

Binding binding_from(hwloc_topology_t topo, hwloc_bitmap_t cpuset) {
  Binding b;
  b.cpuset = list_string(cpuset);
  hwloc_bitmap_t nodes = hwloc_bitmap_alloc();
  hwloc_cpuset_to_nodeset(topo, cpuset, nodes);
  if (hwloc_bitmap_weight(nodes) == 1) b.numa_node = hwloc_bitmap_first(nodes);
  hwloc_bitmap_free(nodes);
  return b;
}

std::string bytes_text(std::uint64_t bytes) {
  char buf[32];
  if (bytes >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / (1ull << 30));
  else if (bytes >= (1ull << 20)) std::snprintf(buf, sizeof buf, "%.0f MiB", static_cast<double>(bytes) / (1ull << 20));
  else std::snprintf(buf, sizeof buf, "%.0f KiB", static_cast<double>(bytes) / 1024);
  return buf;
}

}  // namespace

Binding current_binding() {
  const auto& loaded = shared_topology();
  if (!loaded.topology) return {};
  hwloc_bitmap_t cpuset = hwloc_bitmap_alloc();
  Binding b;
  if (hwloc_get_cpubind(loaded.topology, cpuset, HWLOC_CPUBIND_THREAD) == 0) b = binding_from(loaded.topology, cpuset);
  hwloc_bitmap_free(cpuset);
  return b;
}

Binding process_binding(pid_t pid) {
  const auto& loaded = shared_topology();
  if (!loaded.topology) return {};
  hwloc_bitmap_t cpuset = hwloc_bitmap_alloc();
  Binding b;
  if (hwloc_get_proc_cpubind(loaded.topology, pid, cpuset, HWLOC_CPUBIND_PROCESS) == 0)
    b = binding_from(loaded.topology, cpuset);
  hwloc_bitmap_free(cpuset);
  return b;
}

TopologySummary topology_summary() {
  TopologySummary s;
  const auto& loaded = shared_topology();
  if (!loaded.topology) {
    s.error = loaded.error;
    return s;
  }
  hwloc_topology_t topo = loaded.topology;
  s.loaded = true;
  s.packages = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
  s.numa_nodes = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
  s.cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
  s.processing_units = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
  for (int i = 0; i < s.numa_nodes; ++i)
    s.numa_memory_bytes.push_back(hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, static_cast<unsigned>(i))->attr->numanode.local_memory);
  // Caches above the first PU, innermost first.
  if (hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, 0)) {
    for (hwloc_obj_t obj = pu->parent; obj; obj = obj->parent)
      if (hwloc_obj_type_is_cache(obj->type) && obj->attr)
        s.caches.emplace_back(static_cast<int>(obj->attr->cache.depth), obj->attr->cache.size);
  }
  s.machine_cpuset = list_string(hwloc_topology_get_topology_cpuset(topo));
  return s;
}

std::string TopologySummary::one_line() const {
  if (!loaded) return "topology unavailable: " + error;
  auto plural = [](int n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); };
  std::string out = plural(packages, "package") + ", " + plural(numa_nodes, "NUMA node");
  if (!numa_memory_bytes.empty()) {
    out += " (";
    for (std::size_t i = 0; i < numa_memory_bytes.size(); ++i)
      out += (i ? " + " : "") + bytes_text(numa_memory_bytes[i]);
    out += ")";
  }
  out += ", " + plural(cores, "core") + ", " + plural(processing_units, "PU") + " (" + machine_cpuset + ")";
  for (const auto& [level, size] : caches) out += ", L" + std::to_string(level) + " " + bytes_text(size);
  return out;
}

}  // namespace hpcmon::sampler
