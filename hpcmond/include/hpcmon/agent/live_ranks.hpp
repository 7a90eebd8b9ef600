// The MPI ranks of one step as the agent sees them: their live tables (docs/live-table.md) in
// the job's run directory, read as root without following anything the user controls, and
// turned into pushes (progress) and, for ranks that never reached MPI_Finalize (killed),
// into the node partial's rank rows, MPI tables, traffic and rank series up to the kill.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hpcmon/live_table.hpp"
#include "hpcmon/record.hpp"

namespace hpcmon::agent {

// The live tables of (job_key, step) in `run_dir`, the job's run directory announced by the
// plugin (root, SO_PEERCRED-checked). Its parent must be root's and closed to others all the
// way down (safe::open_trusted_dir); the folder itself is opened with O_NOFOLLOW and must be a
// directory of `uid`; each file is opened O_NOFOLLOW relative to it and must belong to `uid`.
// Files that are not readable tables are skipped (`errors` counts them). Per rank, the table
// of the latest start is kept (a rank number reused by a second mpirun in one step).
struct LiveRead {
  std::vector<live::Snapshot> ranks;  // sorted by rank
  std::size_t errors = 0;
  std::string error;  // the folder could not be opened, or the first file error
};
LiveRead read_step_live_tables(const std::string& run_dir, uid_t uid, const std::string& job_key,
                               const std::string& step);

// Adds the ranks that did not finalize (killed, crashed, aborted) to a node partial: RankRow,
// MpiFunctionRow, TrafficRow and the rank series (rss, mpi_calls, mpi_time, cpu_user, cpu_sys,
// counters), source "live". rank_count becomes the world size. Finalized ranks are left to
// rank 0's record. `dead_by_ns` (the step's end): when the tables counted calls after the
// sampler's last point, one more point there carries the totals. Returns the ranks added.
// The ranks' MPI tables as the head's live diagnosis reads them (samples.mpi[].rank_tables,
// docs/api.md): per rank its identity, times, CPU and resident size at the sampler's last
// point, MPI functions (with their sparse size histograms) and traffic; the first `max_ranks`.
nlohmann::json live_rank_tables(const std::vector<live::Snapshot>& ranks, std::size_t max_ranks);

std::size_t add_killed_ranks(record::JobRecord& rec, const std::vector<live::Snapshot>& ranks, std::int64_t dead_by_ns);

}  // namespace hpcmon::agent
