// What one process of the plugin knows: its plugstack arguments and the user's --hpcmon.
// Each Slurm process (srun, sbatch, slurmstepd, slurmd) loads the plugin anew, so this state
// is per process; slurmstepd forks its tasks from it.
#pragma once

#include <string>

#include "args.hpp"
#include "option.hpp"
#include "spank_hpcmon.hpp"

namespace hpcmon::spank {

// The user's --hpcmon as seen by this process (not given: default of the plugstack line).
const Choice& user_choice();
// The user's --hpcmon-trace (not given: the plugstack's trace= default).
const TraceChoice& trace_choice();
// --hpcmon-mem: profile the step's memory with libhpcmon_mem.so (docs/memory-profiling.md).
bool memory_profiling_requested();

// Root-side contexts log as errors (slurmd's log); srun and sbatch only with -v, so an
// administrator's mistake does not print in every user's terminal.
void log_problem(const std::string& line);

// Slurm's special step ids as record-key words: batch, extern, interactive, or the number.
std::string step_word(std::uint32_t step_id);

}  // namespace hpcmon::spank
