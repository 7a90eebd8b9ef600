// libhpcmon_mpi_config.so: the configuration, read by rank 0 at MPI_Init and unloaded right
// after (it carries yaml-cpp, and libpapi for checking event names, which the ranks must not
// keep in memory while they run). Nothing it does may reach the program: every exception stops here.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "hpcmon/config.hpp"
#include "report_api.hpp"

namespace hpcmon::mpi {
namespace {

void copy(char* dst, std::size_t cap, const std::string& src) { std::snprintf(dst, cap, "%s", src.c_str()); }

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
  out->sample_interval_s = cfg.general.sample_interval_s;
  out->trace = cfg.hpc.trace;
  out->trace_events = static_cast<unsigned long long>(cfg.hpc.trace_events);
  std::string events;
  for (const std::string& e : cfg.hpc.events) events += (events.empty() ? "" : ",") + e;
  copy(out->events, sizeof out->events, events);
  std::string dir = cfg.hpc.record_dir;
  if (const char* override_dir = output_dir_override()) dir = override_dir;
  copy(out->record_dir, sizeof out->record_dir, dir);
}

const ReportApi kApi = {kReportAbi, load_config, nullptr, nullptr, nullptr, nullptr};

}  // namespace
}  // namespace hpcmon::mpi

extern "C" __attribute__((visibility("default"))) const hpcmon::mpi::ReportApi* hpcmon_mpi_report_api() {
  return &hpcmon::mpi::kApi;
}
