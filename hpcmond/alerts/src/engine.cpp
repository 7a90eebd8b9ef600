// The alert state machine and its acknowledgements (engine.hpp).
#include "hpcmon/alerts/engine.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <set>

#include "hpcmon/alerting_config.hpp"

namespace hpcmon::alerts {
namespace {

using nlohmann::json;

// FNV-1a over the rule name and the sorted labels: one id per rule and series.
std::string fingerprint(const std::string& rule, const Labels& labels) {
  std::uint64_t hash = 1469598103934665603ULL;
  auto mix = [&](const std::string& text) {
    for (unsigned char c : text) {
      hash ^= c;
      hash *= 1099511628211ULL;
    }
    hash ^= 0xff;  // separator no label byte can forge
    hash *= 1099511628211ULL;
  };
  mix(rule);
  for (const auto& [name, value] : labels) {
    mix(name);
    mix(value);
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

bool matches(const Rule& rule, const Sample& sample) {
  if (sample.metric != rule.metric) return false;
  for (const auto& [name, value] : rule.match) {
    auto it = sample.labels.find(name);
    if (it == sample.labels.end() || it->second != value) return false;
  }
  return true;
}

json time_or_null(std::int64_t ns) { return ns ? json(rfc3339(ns)) : json(nullptr); }

}  // namespace

const char* state_name(State state) {
  switch (state) {
    case State::pending: return "pending";
    case State::firing: return "firing";
    case State::resolved: return "resolved";
  }
  return "pending";
}

json to_json(const Alert& alert) {
  json out = {{"id", alert.id},
              {"alertname", alert.rule},
              {"severity", alert.severity},
              {"state", state_name(alert.state)},
              {"labels", alert.labels},
              {"annotations", alert.annotations},
              {"value", alert.value},
              {"description", alert.description},
              {"active_since", rfc3339(alert.active_since_ns)},
              {"fired_at", time_or_null(alert.fired_ns)},
              {"resolved_at", time_or_null(alert.resolved_ns)},
              {"active_since_ns", alert.active_since_ns},
              {"fired_ns", alert.fired_ns},
              {"resolved_ns", alert.resolved_ns},
              {"last_seen_ns", alert.last_seen_ns},
              {"acknowledged", alert.ack.has_value()}};
  if (alert.ack)
    out["acknowledgement"] = {{"by", alert.ack->by},
                              {"comment", alert.ack->comment},
                              {"at", rfc3339(alert.ack->at_ns)},
                              {"at_ns", alert.ack->at_ns}};
  return out;
}

Alert alert_from_json(const json& in) {
  Alert alert;
  alert.id = in.at("id").get<std::string>();
  alert.rule = in.at("alertname").get<std::string>();
  alert.severity = in.at("severity").get<std::string>();
  const std::string state = in.at("state").get<std::string>();
  if (state == "pending") alert.state = State::pending;
  else if (state == "firing") alert.state = State::firing;
  else if (state == "resolved") alert.state = State::resolved;
  else throw std::runtime_error("unknown state \"" + state + "\"");
  alert.labels = in.at("labels").get<Labels>();
  if (in.contains("annotations")) alert.annotations = in.at("annotations").get<Labels>();  // newer files only
  alert.value = in.at("value").get<double>();
  alert.description = in.at("description").get<std::string>();
  alert.active_since_ns = in.at("active_since_ns").get<std::int64_t>();
  alert.fired_ns = in.at("fired_ns").get<std::int64_t>();
  alert.resolved_ns = in.at("resolved_ns").get<std::int64_t>();
  alert.last_seen_ns = in.at("last_seen_ns").get<std::int64_t>();
  if (in.contains("acknowledgement")) {
    const json& ack = in["acknowledgement"];
    alert.ack = Acknowledgement{ack.at("by").get<std::string>(), ack.at("comment").get<std::string>(),
                                ack.at("at_ns").get<std::int64_t>()};
  }
  return alert;
}

Engine::Engine(std::vector<Rule> rules, std::string state_file, std::size_t resolved_history,
               std::int64_t absent_after_ns, Notifier* notifier,
               std::function<void(const std::string&)> log)
    : rules_(std::move(rules)),
      state_file_(std::move(state_file)),
      resolved_history_(resolved_history),
      absent_after_ns_(absent_after_ns),
      notifier_(notifier),
      log_(std::move(log)) {}

std::string Engine::load(std::int64_t now_ns) {
  std::FILE* file = std::fopen(state_file_.c_str(), "rb");
  if (!file) return errno == ENOENT ? "" : "alerts: cannot read " + state_file_ + ": " + std::strerror(errno);
  std::string text;
  char buffer[65536];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) text.append(buffer, n);
  std::fclose(file);
  const json state = json::parse(text, nullptr, false);
  std::lock_guard lock(mutex_);
  active_.clear();
  resolved_.clear();
  try {
    if (state.is_discarded() || !state.is_object() || state.value("version", 0) != 1)
      throw std::runtime_error("not an alert state file of version 1");
    for (const auto& entry : state.at("active")) {
      Alert alert = alert_from_json(entry);
      // A restart is no evidence against the series: it has absent_after_ns to reappear.
      alert.last_seen_ns = now_ns;
      active_[alert.id] = std::move(alert);
    }
    for (const auto& entry : state.at("resolved")) resolved_.push_back(alert_from_json(entry));
    while (resolved_.size() > resolved_history_) resolved_.pop_back();
  } catch (const std::exception& error) {
    active_.clear();
    resolved_.clear();
    return "alerts: " + state_file_ + " ignored: " + error.what();
  }
  return "";
}

void Engine::save() {
  json active = json::array(), resolved = json::array();
  for (const auto& [id, alert] : active_) active.push_back(to_json(alert));
  for (const auto& alert : resolved_) resolved.push_back(to_json(alert));
  const std::string error = write_file_atomically(
      state_file_, json{{"version", 1}, {"active", active}, {"resolved", resolved}}.dump() + "\n");
  if (!error.empty()) {
    ++write_failures_;
    if (log_) log_("alerts: state not saved: " + error);
  }
}

void Engine::transition(Alert& alert, State to, std::int64_t now_ns) {
  alert.state = to;
  if (to == State::firing) alert.fired_ns = now_ns;
  if (to == State::resolved) alert.resolved_ns = now_ns;
  if (notifier_ && to != State::pending)
    notifier_->notify({to == State::firing ? "firing" : "resolved", alert});
}

void Engine::evaluate(const std::vector<Sample>& samples, std::int64_t now_ns) {
  std::lock_guard lock(mutex_);
  ++evaluations_;
  bool changed = false;
  std::set<std::string> seen;
  for (const Rule& rule : rules_) {
    for (const Sample& sample : samples) {
      if (!matches(rule, sample)) continue;
      Labels labels = sample.labels;
      for (const auto& [name, value] : rule.labels) labels[name] = value;
      labels["alertname"] = rule.name;
      labels["severity"] = rule.severity;
      const std::string id = fingerprint(rule.name, labels);
      seen.insert(id);
      auto it = active_.find(id);
      if (!compare(rule.op, sample.value, rule.threshold)) {
        if (it == active_.end()) continue;
        if (it->second.state == State::firing) {
          it->second.value = sample.value;  // annotations and description stay those of the firing
          transition(it->second, State::resolved, now_ns);
          resolved_.push_front(std::move(it->second));
        }
        active_.erase(it);  // a pending alert goes back to inactive, without history
        changed = true;
        continue;
      }
      if (it == active_.end()) {
        Alert alert;
        alert.id = id;
        alert.rule = rule.name;
        alert.severity = rule.severity;
        alert.labels = labels;
        alert.active_since_ns = now_ns;
        it = active_.emplace(id, std::move(alert)).first;
        changed = true;
      }
      Alert& alert = it->second;
      alert.value = sample.value;
      alert.last_seen_ns = now_ns;
      alert.annotations = sample.annotations;
      // Templates see annotations as labels ({{ $labels.limit_bytes }}); a label wins a clash.
      Labels fields = labels;
      fields.insert(sample.annotations.begin(), sample.annotations.end());
      alert.description = config::render_alert_template(rule.description, sample.value, fields);
      if (alert.state == State::pending && now_ns - alert.active_since_ns >= rule.for_ns) {
        transition(alert, State::firing, now_ns);
        changed = true;
      }
    }
  }
  // Series that stopped reporting (a forgotten agent, an ended step) resolve after a while.
  for (auto it = active_.begin(); it != active_.end();) {
    if (seen.count(it->first) || now_ns - it->second.last_seen_ns < absent_after_ns_) {
      ++it;
      continue;
    }
    if (it->second.state == State::firing) {
      transition(it->second, State::resolved, now_ns);
      resolved_.push_front(std::move(it->second));
    }
    it = active_.erase(it);
    changed = true;
  }
  while (resolved_.size() > resolved_history_) resolved_.pop_back();
  if (changed) save();
}

std::size_t Engine::replace_rules(std::vector<Rule> rules, std::int64_t now_ns) {
  std::lock_guard lock(mutex_);
  std::set<std::pair<std::string, std::string>> kept;
  for (const Rule& rule : rules) kept.insert({rule.name, rule.severity});
  rules_ = std::move(rules);
  std::size_t ended = 0;
  for (auto it = active_.begin(); it != active_.end();) {
    if (kept.count({it->second.rule, it->second.severity})) {
      ++it;
      continue;
    }
    if (it->second.state == State::firing) {
      transition(it->second, State::resolved, now_ns);
      resolved_.push_front(std::move(it->second));
    }
    it = active_.erase(it);
    ++ended;
  }
  while (resolved_.size() > resolved_history_) resolved_.pop_back();
  if (ended) save();
  return ended;
}

std::vector<Rule> Engine::rules() const {
  std::lock_guard lock(mutex_);
  return rules_;
}

AckResult Engine::acknowledge(const std::string& id, const std::string& by,
                              const std::string& comment, std::int64_t now_ns, Alert* acknowledged) {
  std::lock_guard lock(mutex_);
  auto it = active_.find(id);
  if (it == active_.end()) return AckResult::not_found;
  if (it->second.state != State::firing) return AckResult::not_firing;
  it->second.ack = Acknowledgement{by, comment, now_ns};
  if (acknowledged) *acknowledged = it->second;
  save();
  return AckResult::acknowledged;
}

std::vector<Alert> Engine::active() const {
  std::lock_guard lock(mutex_);
  std::vector<Alert> out;
  for (const auto& [id, alert] : active_) out.push_back(alert);
  std::sort(out.begin(), out.end(), [](const Alert& a, const Alert& b) {
    return a.active_since_ns != b.active_since_ns ? a.active_since_ns < b.active_since_ns : a.id < b.id;
  });
  return out;
}

std::vector<Alert> Engine::resolved() const {
  std::lock_guard lock(mutex_);
  return {resolved_.begin(), resolved_.end()};
}

std::size_t Engine::firing_count() const {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  for (const auto& [id, alert] : active_) count += alert.state == State::firing;
  return count;
}

std::uint64_t Engine::evaluations() const {
  std::lock_guard lock(mutex_);
  return evaluations_;
}

std::uint64_t Engine::state_write_failures() const {
  std::lock_guard lock(mutex_);
  return write_failures_;
}

}  // namespace hpcmon::alerts
