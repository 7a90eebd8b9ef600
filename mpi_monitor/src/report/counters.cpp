// libhpcmon_mpi_counters.so: what the MPI preload needs from the product at MPI_Init, in
// every rank: the configuration (read by rank 0 only), the rank's own counters (papi_sampler)
// and its CPU binding. The record writer (HDF5) lives apart in libhpcmon_mpi_report.so,
// loaded by rank 0 at MPI_Finalize only, so that ranks do not carry HDF5 while they run.
// Nothing it does may reach the program: every exception stops here.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "hpcmon/config.hpp"
#include "hpcmon/sampler.hpp"
#include "record_key.hpp"
#include "report_api.hpp"

namespace hpcmon::mpi {
namespace {

void copy(char* dst, std::size_t cap, const std::string& src) { std::snprintf(dst, cap, "%s", src.c_str()); }

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

void load_config(ReportConfig* out) {
  config::Config cfg;
  try {
    std::filesystem::path path = config::default_path();
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) {
      cfg = config::load_file(path);
    } else {
      cfg = config::defaults();
      config::apply_environment(cfg);
    }
  } catch (const std::exception& e) {
    copy(out->problem, sizeof out->problem, std::string(e.what()) + "; using defaults");
    cfg = config::defaults();
  }
  out->enabled = cfg.general.enabled;
  std::string events;
  for (const std::string& e : cfg.hpc.events) events += (events.empty() ? "" : ",") + e;
  copy(out->events, sizeof out->events, events);
  std::string dir = cfg.hpc.record_dir;
  if (!under_slurm() && !env("HPCMON_OUTPUT_DIR").empty()) dir = env("HPCMON_OUTPUT_DIR");
  copy(out->record_dir, sizeof out->record_dir, dir);
}

void* counters_start(const char* events_csv) {
  try {
    std::vector<std::string> events;
    std::stringstream in(events_csv ? events_csv : "");
    for (std::string e; std::getline(in, e, ',');)
      if (!e.empty()) events.push_back(e);
    auto set = std::make_unique<sampler::CounterSet>(sampler::CounterSet::open(events));
    set->start();
    return set.release();
  } catch (...) {
    return nullptr;
  }
}

void counters_read(void* handle, CounterReading* out) {
  try {
    auto* set = static_cast<sampler::CounterSet*>(handle);
    std::vector<sampler::CounterValue> values = set->read();
    out->count = 0;
    for (const sampler::CounterValue& v : values) {
      if (out->count == kMaxCounters) break;
      out->values[out->count] = v.value;
      copy(out->names[out->count], kNameLen, v.name);
      ++out->count;
    }
    copy(out->source, sizeof out->source, set->source());
    copy(out->quality, sizeof out->quality, set->quality());
  } catch (...) {
    out->count = 0;
  }
}

void counters_close(void* handle) {
  try {
    auto* set = static_cast<sampler::CounterSet*>(handle);
    set->stop();
    delete set;
  } catch (...) {
  }
}

void binding(char* cpuset, std::size_t cap, int* numa_node) {
  try {
    sampler::Binding b = sampler::current_binding();
    copy(cpuset, cap, b.cpuset);
    *numa_node = b.numa_node;
  } catch (...) {
    *numa_node = -1;
  }
}

const ReportApi kApi = {kReportAbi, load_config, counters_start, counters_read, counters_close, binding,
                        nullptr};

}  // namespace
}  // namespace hpcmon::mpi

extern "C" __attribute__((visibility("default"))) const hpcmon::mpi::ReportApi* hpcmon_mpi_report_api() {
  return &hpcmon::mpi::kApi;
}
