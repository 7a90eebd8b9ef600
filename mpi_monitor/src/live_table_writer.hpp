// The writer side of a rank's live table (docs/live-table.md): creates the fixed-size file in
// the job's run directory at MPI_Init, maps it, and points the per-thread tables (g_tables)
// at its thread blocks, so the hot path writes straight into the mapping (plain stores and a
// per-row sequence word; no syscall, lock or allocation). The sampling thread appends to the
// series through live_series_append. Cold code only: nothing here runs inside a wrapped call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "live_table_format.hpp"

namespace hpcmon::mpi {

struct LiveIdentity {
  const char* job_key = "";
  const char* step = "";
  int rank = 0, world_size = 1;
  std::int64_t start_ns = 0;
  std::int64_t interval_ns = 1000000000;
  std::uint32_t series_cap = 512;
};

// Creates and maps the file, fills the header (state running) and moves the thread tables
// into it. False with one line in `problem` when no table can be kept: the tables then stay
// in private memory and recording goes on.
bool live_table_open(const LiveIdentity& id, char* problem, std::size_t cap);
// The mapped header, nullptr without a live table.
live::format::Header* live_header();
const char* live_table_path();  // "" without a live table

// Control block (state, calibration, series) updates: one writer at a time.
void live_control_begin();
void live_control_end();
void live_set_counter_names(const char* const* names, int count);  // inside begin/end
// The point of sampler tick `tick` (0, 1, 2... at the configured interval): kept when the tick
// falls on the current step; a full series first drops every other point and doubles the
// step, so it never grows past its cap. `last` (the final point) is kept whatever its tick.
void live_series_append(const live::format::SeriesPoint& p, std::uint64_t tick, bool last);  // inside begin/end

// Final state (kFinalized or kAborted). The mapping stays (a late call from another thread
// still lands in it); the file stays unless `remove` (a private folder after a clean end).
void live_table_finish(std::uint32_t state, std::int64_t end_ns, bool remove);

// The series and its counter names as they stand (the sampler stopped), for the record.
// Returns the number of counter names written to `names`.
int live_series_copy(std::vector<live::format::SeriesPoint>* points,
                     char (*names)[live::format::kCounterNameLen], int name_cap);

// Number of thread slots claimed so far, as the header shows it.
void live_note_thread_claimed(std::uint32_t slots);

}  // namespace hpcmon::mpi
