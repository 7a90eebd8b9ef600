// libhpcmon_mpi_counters.so: the rank's own counters (papi_sampler), started in every rank at
// MPI_Init. Linked --as-needed: the sampler loads libpapi (and libpfm's ~1.1 MiB of relocated
// tables) only when a configured event needs PAPI, and hwloc is not linked at all.
// Nothing it does may reach the program: every exception stops here.
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "hpcmon/sampler.hpp"
#include "report_api.hpp"

namespace hpcmon::mpi {
namespace {

void copy(char* dst, std::size_t cap, const std::string& src) { std::snprintf(dst, cap, "%s", src.c_str()); }

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
    copy(out->note, sizeof out->note, set->fallback_reason());
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

const ReportApi kApi = {kReportAbi, nullptr, counters_start, counters_read, counters_close, nullptr};

}  // namespace
}  // namespace hpcmon::mpi

extern "C" __attribute__((visibility("default"))) const hpcmon::mpi::ReportApi* hpcmon_mpi_report_api() {
  return &hpcmon::mpi::kApi;
}
