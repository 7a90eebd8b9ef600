// The interface between the light preload and its companion libraries, dlopen'ed from its own
// directory: libhpcmon_mpi_config.so (rank 0 at MPI_Init, then unloaded), libhpcmon_mpi_counters.so
// (every rank at MPI_Init) and libhpcmon_mpi_report.so (the writing rank at MPI_Finalize). Each
// fills its part of the table below and leaves the rest null. Both are built together, so C++ types cross
// the boundary; the entry point is one extern "C" symbol returning this table.
// Nothing here may throw across the boundary: every function catches and reports.
#pragma once

#include <cstddef>
#include <cstdlib>

#include "summary.hpp"

namespace hpcmon::mpi {

inline constexpr int kReportAbi = 5;

// The one rule for the record directory, used by the preload (no configuration companion)
// and by the configuration companion alike: HPCMON_OUTPUT_DIR outside Slurm, never under
// Slurm (SLURM_JOB_ID set), where the configuration's hpc.record_dir decides. nullptr: no override.
inline const char* output_dir_override() {
  const char* slurm_job = std::getenv("SLURM_JOB_ID");
  if (slurm_job && *slurm_job) return nullptr;
  const char* dir = std::getenv("HPCMON_OUTPUT_DIR");
  return dir && *dir ? dir : nullptr;
}

struct ReportConfig {
  bool enabled = true;
  char events[1024] = {};      // comma-separated
  char record_dir[1024] = {};  // where records go (HPCMON_OUTPUT_DIR outside Slurm, else config)
  char problem[512] = {};      // one line when the config could not be used (defaults apply)
  double sample_interval_s = 1.0;  // general.sample_interval_s: the ranks' sampling threads
  bool trace = false;                      // hpc.trace (docs/tracing.md)
  unsigned long long trace_events = 0;     // hpc.trace_events; 0: the preload's default
};

struct CounterReading {
  int count = 0;
  double values[kMaxCounters] = {};
  char names[kMaxCounters][kNameLen] = {};
  char source[16] = {};
  char quality[16] = {};
  char note[kNoteLen] = {};  // the sampler's one-line fallback reason, empty when PAPI serves
};

struct ReportApi {
  int abi;
  // Rank 0 at MPI_Init: configuration file (or defaults) with environment overrides.
  void (*load_config)(ReportConfig* out);
  // Every rank: start the rank's own counters; nullptr when none can run.
  void* (*counters_start)(const char* events_csv);
  void (*counters_read)(void* handle, CounterReading* out);
  void (*counters_close)(void* handle);
  // Rank 0: builds and writes the record; true and the file path, or false and one line.
  bool (*write_record)(const GatheredJob* job, char* path_or_error, std::size_t cap);
};

}  // namespace hpcmon::mpi

extern "C" const hpcmon::mpi::ReportApi* hpcmon_mpi_report_api();
