// hpcmond alerts: the head daemon's alert engine (docs/alerting.md).
// What it is: rules (alerting.rules of the configuration plus the built-in rules) evaluated
// over samples from a MetricSource, each alert going inactive -> pending -> firing ->
// resolved, acknowledgements of firing alerts, and the notifications handed to channels.
// What it owns: alert state and acknowledgements, and their state file (rewritten atomically
// with fsync at every transition, read back at start, so both survive SIGKILL).
// What it must never do: wait on a channel (notifications go to bounded queues, see
// channels.hpp), reach the head's collectors itself (they come in through MetricSource), or
// keep unbounded history (resolved alerts are capped).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hpcmon/config.hpp"

namespace hpcmon::alerts {

using Labels = std::map<std::string, std::string>;

// One value of one series at evaluation time: metric name ("node.load1") and its labels.
// Annotations describe the value (the limit a fraction was taken of, and where that limit
// came from) without naming the series: they do not enter the alert's id.
struct Sample {
  Sample() = default;
  Sample(std::string metric_name, Labels series, double v, Labels about = {})
      : metric(std::move(metric_name)), labels(std::move(series)), value(v), annotations(std::move(about)) {}
  std::string metric;
  Labels labels;
  double value = 0;
  Labels annotations;
};

// Where the engine's samples come from (the head's collectors, or a test's own values).
class MetricSource {
 public:
  virtual ~MetricSource() = default;
  // The latest value of every series it knows, at `now_ns` (ns since the epoch).
  virtual std::vector<Sample> collect(std::int64_t now_ns) = 0;
};

struct Rule {
  std::string name;    // alertname
  std::string metric;  // the samples it looks at
  Labels match;        // each label must equal
  std::string scope = "node";
  std::string op = ">";
  double threshold = 0;
  std::int64_t for_ns = 0;
  std::string severity = "warning";
  Labels labels;
  std::string description;  // template (hpcmon/alerting_config.hpp)
  bool builtin = false;
};

// The built-in rules that alerting.disabled_builtins leaves on, then alerting.rules.
std::vector<Rule> rules_from_config(const config::Config& config);

bool compare(const std::string& op, double value, double threshold);

enum class State { pending, firing, resolved };
const char* state_name(State state);

struct Acknowledgement {
  std::string by, comment;
  std::int64_t at_ns = 0;
};

struct Alert {
  std::string id;  // 16 hex digits from the rule and the series' labels
  std::string rule;
  std::string severity;
  Labels labels;   // series labels + rule labels + alertname + severity
  Labels annotations;  // of the latest sample (Sample::annotations)
  State state = State::pending;
  double value = 0;
  std::string description;
  std::int64_t active_since_ns = 0;  // became pending
  std::int64_t fired_ns = 0;         // became firing (0: never)
  std::int64_t resolved_ns = 0;
  std::int64_t last_seen_ns = 0;     // last evaluation with a sample of the series
  std::optional<Acknowledgement> ack;
};

nlohmann::json to_json(const Alert& alert);
Alert alert_from_json(const nlohmann::json& json);  // throws on a malformed entry

// What channels receive: "firing" or "resolved" with the alert at that moment.
struct Notification {
  std::string status;
  Alert alert;
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual void notify(const Notification& notification) = 0;  // never blocks
};

enum class AckResult { acknowledged, not_found, not_firing };

class Engine {
 public:
  // `absent_after_ns`: a series without samples this long resolves (a firing alert) or is
  // dropped (a pending one); a restart gives every restored alert that long to be seen again.
  Engine(std::vector<Rule> rules, std::string state_file, std::size_t resolved_history,
         std::int64_t absent_after_ns, Notifier* notifier,
         std::function<void(const std::string&)> log);
  // Reads the state file (a missing one is an empty state); the error line, or "".
  std::string load(std::int64_t now_ns);
  void evaluate(const std::vector<Sample>& samples, std::int64_t now_ns);
  // Rules re-read from the configuration: alerts of a rule that still exists (same name and
  // severity) keep their state, acknowledgement and `for` clock; the others end now (a firing
  // one is resolved and notified, a pending one dropped). Returns how many ended.
  std::size_t replace_rules(std::vector<Rule> rules, std::int64_t now_ns);
  AckResult acknowledge(const std::string& id, const std::string& by, const std::string& comment,
                        std::int64_t now_ns, Alert* acknowledged = nullptr);
  std::vector<Alert> active() const;    // pending and firing, oldest first
  std::vector<Alert> resolved() const;  // newest first
  std::size_t firing_count() const;
  std::uint64_t evaluations() const;
  std::uint64_t state_write_failures() const;
  std::vector<Rule> rules() const;

 private:
  void transition(Alert& alert, State to, std::int64_t now_ns);  // under mutex_
  void save();                                                    // under mutex_
  std::vector<Rule> rules_;
  std::string state_file_;
  std::size_t resolved_history_;
  std::int64_t absent_after_ns_;
  Notifier* notifier_;
  std::function<void(const std::string&)> log_;
  mutable std::mutex mutex_;
  std::map<std::string, Alert> active_;  // by id
  std::deque<Alert> resolved_;           // newest first
  std::uint64_t evaluations_ = 0, write_failures_ = 0;
};

// RFC 3339 UTC with milliseconds ("2026-11-27T21:00:00.000Z").
std::string rfc3339(std::int64_t ns);

// Writes `text` to `path` through a temporary in the same folder, fsync, rename, fsync of
// the folder. The error line, or "".
std::string write_file_atomically(const std::string& path, const std::string& text);

}  // namespace hpcmon::alerts
