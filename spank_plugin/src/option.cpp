#include "option.hpp"

namespace hpcmon::spank {

bool parse_choice(const std::string& optarg, Choice* out) {
  Choice c;
  c.given = true;
  if (optarg.empty() || optarg == "on") c.on = true;
  else if (optarg == "off") c.on = false;
  else if (valid_events(optarg)) c.events = optarg;
  else return false;
  *out = c;
  return true;
}

StepSettings settle(const PluginArgs& args, const Choice& choice) {
  StepSettings s;
  s.monitor = choice.given ? choice.on : args.default_on;
  s.events = choice.events.empty() ? args.events : choice.events;
  s.interval = args.interval;
  return s;
}

}  // namespace hpcmon::spank
