// The user option --hpcmon[=on|off|<events>] and what a step finally does.
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

struct StepSettings {
  bool monitor = false;
  std::string events;    // comma separated
  std::string interval;  // seconds
};

// The plugstack defaults overridden by the user's choice.
StepSettings settle(const PluginArgs& args, const Choice& choice);

}  // namespace hpcmon::spank
