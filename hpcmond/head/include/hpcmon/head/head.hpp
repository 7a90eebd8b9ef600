// hpcmond head mode: the daemon on the head node that serves the REST API and /metrics.
// What it is: the wiring of the head's collectors (own system metrics, record scan and
// merge, Slurm), access control and the HTTP listener (docs/api.md).
// What it owns: the canonical merge of job records and the job index.
// What it must never do: trust users' record attributes for identity, log credentials,
// or load slurmctld beyond one incremental poll per interval.
// Talks to: papi_sampler (system metrics), hdf5_store (records), libslurm, MUNGE.
#pragma once

#include <atomic>

#include "hpcmon/config.hpp"

namespace hpcmon::head {

// Runs until `stop` becomes true; returns 0, or 1 when it cannot start (one line on stderr).
// When `reload` becomes true, re-reads config.source: a good file replaces the access policy,
// a bad one is refused with one line and the running configuration stays.
int run(const config::Config& config, std::atomic<bool>& stop, std::atomic<bool>* reload = nullptr);

}  // namespace hpcmon::head
