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

bool parse_trace_choice(const std::string& optarg, TraceChoice* out) {
  TraceChoice c;
  c.given = true;
  if (optarg.empty() || optarg == "on") c.on = true;
  else if (optarg == "off") c.on = false;
  else if (valid_trace_events(optarg)) c.events = optarg;
  else return false;
  *out = c;
  return true;
}

StepSettings settle(const PluginArgs& args, const Choice& choice, const TraceChoice& trace) {
  StepSettings s;
  s.monitor = choice.given ? choice.on : args.default_on;
  s.events = choice.events.empty() ? args.events : choice.events;
  s.interval = args.interval;
  s.trace = trace.given ? trace.on : args.trace_default_on;
  s.trace_events = trace.events.empty() ? args.trace_events : trace.events;
  return s;
}

}  // namespace hpcmon::spank
