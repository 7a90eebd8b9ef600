// The record key of an MPI run (docs/job-record.md, "Record key"), from Slurm's environment
// or, outside Slurm, "local-<host>-<start time>-<pid>". Pure functions of their inputs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "hpcmon/record.hpp"

namespace hpcmon::mpi {

using EnvLookup = std::function<std::string(const char*)>;

bool under_slurm();  // SLURM_JOB_ID is set in this process
// run stays 0: the caller picks the next free run number.
record::RecordKey record_key(const std::string& host, std::int64_t start_ns, std::int64_t pid);
record::RecordKey record_key(const EnvLookup& env, const std::string& host, std::int64_t start_ns,
                             std::int64_t pid);

}  // namespace hpcmon::mpi
