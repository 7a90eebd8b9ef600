// hpcmon papi_sampler: what one process or one node can measure about itself.
//
// Owns: hardware and software counters of the calling process or of one thread
// (PAPI, then Linux perf_event software events, then getrusage), /proc process and
// system metrics, rates from counter deltas, and the hwloc view of topology and binding.
// Used by: the MPI preload's heavy part (counters and binding of a rank), the node
// agent and the head daemon (process and system series).
// Must never: fake a counter value, call PAPI_shutdown, print at every sample
// (errors are counted and reported once), or read /work/shared.
#pragma once

#include "hpcmon/sampler/block_device.hpp"
#include "hpcmon/sampler/counters.hpp"
#include "hpcmon/sampler/multiplex.hpp"
#include "hpcmon/sampler/null_source.hpp"
#include "hpcmon/sampler/proc_file.hpp"
#include "hpcmon/sampler/proc_parsers.hpp"
#include "hpcmon/sampler/process_metrics.hpp"
#include "hpcmon/sampler/rates.hpp"
#include "hpcmon/sampler/source.hpp"
#include "hpcmon/sampler/system_metrics.hpp"
#include "hpcmon/sampler/topology.hpp"
