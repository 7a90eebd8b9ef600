// The user options --hpcmon[=on|off|<events>] and --hpcmon-trace[=on|off|<events per rank>],
// and what a step finally does.
#pragma once

#include <string>

#include "args.hpp"

namespace hpcmon::spank {

struct Choice {
  bool given = false;   // the user passed --hpcmon (directly or inherited from sbatch)
  bool on = true;
  std::string events;   // non-empty: the user's counter events
};

// Parses the option's argument. Empty (`--hpcmon`, or slurmstepd's second call) means on.
// Returns false for a value that is neither on, off nor a valid event list; *out is unchanged.
bool parse_choice(const std::string& optarg, Choice* out);

// --hpcmon-trace: trace the step's MPI calls (docs/tracing.md).
struct TraceChoice {
  bool given = false;
  bool on = true;
  std::string events;  // non-empty: events kept per rank
};

// Empty or `on`: trace; `off`: do not; a count (1 to 2^26): trace, keeping that many events
// per rank. False for anything else; *out is unchanged.
bool parse_trace_choice(const std::string& optarg, TraceChoice* out);

struct StepSettings {
  bool monitor = false;
  std::string events;    // comma separated
  std::string interval;  // seconds
  bool trace = false;           // hpc.trace for the step's ranks
  std::string trace_events;     // hpc.trace_events
};

// The plugstack defaults overridden by the user's choices.
StepSettings settle(const PluginArgs& args, const Choice& choice, const TraceChoice& trace = {});

}  // namespace hpcmon::spank
