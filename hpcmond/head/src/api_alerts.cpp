// Alerting wired into the head daemon (api_alerts.hpp).
#include "hpcmon/head/api_alerts.hpp"

#include <algorithm>
#include <chrono>

#include "hpcmon/head/api_scheduler.hpp"
#include "hpcmon/head/live_diagnosis.hpp"
#include "hpcmon/head/params.hpp"

namespace hpcmon::head {
namespace {

using nlohmann::json;
using alerts::Labels;
using alerts::Sample;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

// Why Slurm counts the node as down ("" when it does not): the state that makes it down and the
// administrator's or Slurm's own reason ("Slurm DOWN: disk died").
std::string slurm_down_reason(const json& node) {
  const std::string state = node.value("state", ""), reason = node.value("reason", "");
  std::string why;
  if (state.rfind("DOWN", 0) == 0) why = "Slurm DOWN";
  else if (state.find("NOT_RESPONDING") != std::string::npos) why = "Slurm NOT_RESPONDING";
  else return "";
  return reason.empty() ? why : why + ": " + reason;
}

std::string bytes_text(double bytes) { return std::to_string(static_cast<std::uint64_t>(bytes)); }

}  // namespace

HeadMetricSource::HeadMetricSource(const config::Config& config, const Services& services)
    : services_(services) {
  reconfigure(config);
}

void HeadMetricSource::reconfigure(const config::Config& config) {
  silent_after_ns_ = static_cast<std::int64_t>(static_cast<double>(config.alerting.node_down_intervals) *
                                               config.agent.push_interval_s * 1e9);
  record_after_ns_ = static_cast<std::int64_t>(config.alerting.record_missing_after_s * 1e9);
}

std::vector<Sample> HeadMetricSource::collect(std::int64_t now_ns) {
  std::vector<Sample> out;
  head_samples(now_ns, out);
  agent_samples(now_ns, out);
  record_samples(now_ns, out);
  // job.finding{rule} = 1 while the head's live diagnosis holds a finding of a running step.
  if (services_.live)
    for (const auto& f : services_.live->findings())
      out.push_back({"job.finding", {{"cluster", f.cluster}, {"job", f.job}, {"step", f.step}, {"rule", f.rule}}, 1.0});
  for (auto& sample : scheduler_alert_samples(services_)) out.push_back(std::move(sample));
  return out;
}

// The head's own /proc through the system collector.
void HeadMetricSource::head_samples(std::int64_t, std::vector<Sample>& out) {
  const auto snapshot = services_.system.latest();
  if (!snapshot) return;
  const Labels labels = {{"cluster", services_.cluster}, {"node", services_.node}};
  std::optional<double> used, total;
  for (const auto& metric : snapshot->metrics) {
    const std::string& name = metric.name;
    if (name == "cpu.total.busy_percent") out.push_back({"node.cpu_util", labels, metric.value / 100});
    else if (name == "mem.used_bytes") used = metric.value;
    else if (name == "mem.total_bytes") total = metric.value;
    else if (name == "load.1m") out.push_back({"node.load1", labels, metric.value});
    else if (name.rfind("fs.", 0) == 0 && name.size() > 17 &&
             name.compare(name.size() - 14, 14, ".used_fraction") == 0) {
      Labels disk = labels;
      disk["mountpoint"] = name.substr(3, name.size() - 17);
      out.push_back({"node.disk_used_fraction", disk, metric.value});
    }
  }
  if (used && total && *total > 0) out.push_back({"node.mem_used_fraction", labels, *used / *total});
}

// Pushes of node agents and Slurm's node states: node.*, node.up and job.* per step.
void HeadMetricSource::agent_samples(std::int64_t now_ns, std::vector<Sample>& out) {
  std::map<std::string, std::pair<bool, std::string>> up;  // node -> (up, reason)
  std::map<std::string, std::string> slurm_states;          // node -> Slurm's state, when it says down
  std::map<std::string, double> requested_mem;             // job -> bytes per node (Slurm)
  if (services_.slurm) {
    for (const auto& node : services_.slurm->nodes()) {
      const std::string name = node.value("name", "");
      if (name.empty()) continue;
      const std::string why = slurm_down_reason(node);
      up[name] = {why.empty(), why};
      if (!why.empty()) slurm_states[name] = node.value("state", "");
    }
    for (const auto& job : services_.slurm->active_jobs())
      if (job.contains("mem_per_node_bytes") && job["mem_per_node_bytes"].is_number())
        requested_mem[job.value("job", "")] = job["mem_per_node_bytes"].get<double>();
  }
  std::set<std::string> live_steps;
  if (services_.agents) {
    const json live = services_.agents->live();  // items() does not keep a temporary alive
    for (const auto& [node, entry] : live.items()) {
      const Labels labels = {{"cluster", services_.cluster}, {"node", node}};
      if (const std::int64_t heard = entry.value("heard_ns", std::int64_t{0}))
        agent_heard_[node] = std::max(agent_heard_[node], heard);
      const json reading = entry.value("reading", json());
      if (reading.is_object()) {
        for (const auto& [field, value] : reading.items())
          if (value.is_number() && field != "t_ns") out.push_back({"node." + field, labels, value.get<double>()});
        const double used = reading.value("mem_used_bytes", 0.0), total = reading.value("mem_total_bytes", 0.0);
        if (total > 0) out.push_back({"node.mem_used_fraction", labels, used / total});
      }
      if (!entry.contains("steps") || !entry["steps"].is_array()) continue;
      for (const auto& step : entry["steps"]) {
        const std::string job = step.value("job", ""), step_id = step.value("step", "");
        Labels step_labels = labels;
        step_labels["job"] = job;
        step_labels["step"] = step_id;
        if (step.contains("cluster") && step["cluster"].is_string()) step_labels["cluster"] = step["cluster"];
        agent_jobs_.insert(job);
        const std::string key = node + "/" + job + "/" + step_id;
        live_steps.insert(key);
        const double rss = step.value("rss_bytes", 0.0), cpu_s = step.value("cpu_s", 0.0);
        const std::int64_t t = step.value("t_ns", std::int64_t{0});
        out.push_back({"job.rss_bytes", step_labels, rss});
        out.push_back({"job.cpu_s", step_labels, cpu_s});
        out.push_back({"job.processes", step_labels, step.value("processes", 0.0)});
        // Cores in use: CPU seconds between two readings of the step over their distance.
        StepRate& rate = rates_[key];
        if (rate.t_ns && t > rate.t_ns) rate.cores = std::max(0.0, (cpu_s - rate.cpu_s) / ((t - rate.t_ns) / 1e9));
        if (t > rate.t_ns) {
          rate.t_ns = t;
          rate.cpu_s = cpu_s;
        }
        if (rate.cores) out.push_back({"job.cpu_cores", step_labels, *rate.cores});
        // The cgroup's limit when the agent sends one, else Slurm's request for the node.
        double limit = step.value("mem_limit_bytes", 0.0);
        std::string source = step.value("mem_limit_source", "cgroup");
        if (limit <= 0 && requested_mem.count(job)) limit = requested_mem[job], source = "slurm request";
        if (limit > 0) {
          const Labels about = {{"limit_bytes", bytes_text(limit)}, {"limit_source", source}};
          out.push_back({"job.mem_limit_bytes", step_labels, limit, about});
          out.push_back({"job.mem_limit_fraction", step_labels, rss / limit, about});
        }
      }
    }
  }
  // An agent silent for node_down_intervals pushes: its node is down. Kept for a day even
  // after the agent store forgets the agent, so a dead node does not resolve by itself.
  for (auto it = agent_heard_.begin(); it != agent_heard_.end();) {
    const std::int64_t silent = now_ns - it->second;
    if (silent > 86400LL * 1000000000) {
      it = agent_heard_.erase(it);
      continue;
    }
    if (silent > silent_after_ns_) {
      if (!up.count(it->first) || up[it->first].first) up[it->first] = {false, "agent silent"};
    } else if (!up.count(it->first)) {
      up[it->first] = {true, ""};
    }
    ++it;
  }
  for (auto it = rates_.begin(); it != rates_.end();)
    it = live_steps.count(it->first) ? std::next(it) : rates_.erase(it);
  // The reason is an annotation, not a label: a node whose reason changes (DOWN, then
  // NOT_RESPONDING while slurmd registers after a resume) stays one alert, and the first
  // node.up = 1 resolves it at once.
  for (const auto& [node, state] : up) {
    Labels about;
    if (!state.first) about["reason"] = state.second;
    if (slurm_states.count(node)) about["slurm_state"] = slurm_states[node];
    out.push_back({"node.up", {{"cluster", services_.cluster}, {"node", node}}, state.first ? 1.0 : 0.0, about});
  }
}

// Finished steps whose record is incomplete, and monitored Slurm jobs that ended without one.
void HeadMetricSource::record_samples(std::int64_t now_ns, std::vector<Sample>& out) {
  const auto jobs = services_.records.jobs();
  std::set<std::string> recorded;
  for (const auto& job : *jobs) {
    recorded.insert(job.cluster + "/" + job.job);
    for (const auto& step : job.steps) {
      if (step.nodes_missing.empty() || !step.end_ns || now_ns - step.end_ns < record_after_ns_) continue;
      if (now_ns - step.end_ns > 86400LL * 1000000000) continue;  // old news
      const std::string reason = (step.merge_state == "pending" ? "merge pending, no partial from " : "merged without ") +
                                 joined(step.nodes_missing);
      out.push_back({"job.record_missing",
                     {{"cluster", job.cluster}, {"job", job.job}, {"step", step.key.step}, {"reason", reason}},
                     static_cast<double>(step.nodes_missing.size())});
    }
  }
  if (!services_.slurm) return;
  std::set<std::string> active;
  for (const auto& job : services_.slurm->active_jobs()) {
    const std::string id = job.value("job", "");
    if (id.empty() || job.value("state", "") == "pending") continue;
    active.insert(id);
    SlurmJob& tracked = slurm_jobs_[id];
    tracked.node_list = job.value("node_list", "");
    tracked.ended_ns = 0;
  }
  for (auto it = slurm_jobs_.begin(); it != slurm_jobs_.end();) {
    SlurmJob& job = it->second;
    if (agent_jobs_.count(it->first) || agent_heard_.count(job.node_list)) job.monitored = true;
    if (!active.count(it->first) && !job.ended_ns) job.ended_ns = now_ns;
    if (job.ended_ns && now_ns - job.ended_ns > 86400LL * 1000000000) {
      agent_jobs_.erase(it->first);
      it = slurm_jobs_.erase(it);
      continue;
    }
    if (job.monitored && job.ended_ns && now_ns - job.ended_ns >= record_after_ns_ &&
        !recorded.count(services_.cluster + "/" + it->first))
      out.push_back({"job.record_missing",
                     {{"cluster", services_.cluster}, {"job", it->first}, {"step", "all"},
                      {"reason", "no record of the finished Slurm job (ran on " + job.node_list + ")"}},
                     1.0});
    ++it;
  }
}

Alerting::Alerting(const config::Config& config, Services& services, Log& log) : log_(log), source_file_(config.source) {
  auto log_line = [&log](const std::string& line) { log.info(line); };
  dispatcher_ = alerts::make_dispatcher(config.alerting, services.cluster, log_line);
  source_ = std::make_unique<HeadMetricSource>(config, services);
  const double interval = config.alerting.evaluation_interval_s;
  engine_ = std::make_unique<alerts::Engine>(
      alerts::rules_from_config(config), config.alerting.state_file,
      static_cast<std::size_t>(config.alerting.resolved_history),
      static_cast<std::int64_t>(std::max(3 * interval, 2 * config.agent.push_interval_s) * 1e9), dispatcher_.get(),
      [&log](const std::string& line) { log.warning(line); });
  const std::string problem = engine_->load(now_ns());
  if (!problem.empty()) log.warning(problem);
  log.info("alerting: " + std::to_string(engine_->rules().size()) + " rules, " +
           std::to_string(engine_->active().size()) + " active alerts restored from " + config.alerting.state_file);
  thread_ = std::thread([this, interval] { loop(interval); });
}

void Alerting::apply(const config::Config& fresh) {
  std::lock_guard lock(reload_mutex_);
  source_->reconfigure(fresh);
  auto rules = alerts::rules_from_config(fresh);
  const std::size_t count = rules.size();
  const std::size_t ended = engine_->replace_rules(std::move(rules), now_ns());
  log_.info("alerting: " + std::to_string(count) + " rules loaded from " + fresh.source + " (" +
            std::to_string(ended) + " alerts of rules no longer configured ended; channels, state file and "
            "evaluation interval need a restart)");
}

std::string Alerting::reload() {
  config::Config fresh;
  try {
    fresh = config::load_file(source_file_);
  } catch (const std::exception& error) {
    log_.warning(std::string("alerting: reload refused, rules kept: ") + error.what());
    return error.what();
  }
  apply(fresh);
  return "";
}

Alerting::~Alerting() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  engine_.reset();
  dispatcher_.reset();
}

void Alerting::loop(double interval_s) {
  std::unique_lock lock(mutex_);
  std::int64_t last_resend = now_ns();
  while (!stopping_) {
    lock.unlock();
    const std::int64_t now = now_ns();
    // Alertmanager forgets a firing alert at its endsAt: firing alerts are sent again.
    if (now - last_resend >= alerts::kAlertmanagerResendNs && dispatcher_->has_channel("alertmanager")) {
      last_resend = now;
      for (const auto& alert : engine_->active())
        if (alert.state == alerts::State::firing) dispatcher_->notify_channel("alertmanager", {"firing", alert});
    }
    try {
      engine_->evaluate(source_->collect(now), now);
    } catch (const std::exception& error) {
      // A malformed input must not stop alerting; reported once per kind of failure.
      log_.once(std::string("alerts:evaluate:") + error.what(), std::string("alerts: evaluation failed: ") + error.what());
    }
    lock.lock();
    wake_.wait_for(lock, std::chrono::duration<double>(interval_s), [this] { return stopping_; });
  }
}

void register_alert_routes(Router& router, Services& services) {
  Services* s = &services;
  router.get("/api/v1/alerts", [s](const Request& request) -> Outcome {
    const auto state = request.param("state");
    if (state && *state != "pending" && *state != "firing" && *state != "resolved" && *state != "active")
      return ApiError{ErrorType::bad_parameter, "expected pending, firing, active or resolved, got \"" + *state + "\"",
                      "state"};
    std::uint64_t limit = 100;
    if (auto text = request.param("limit")) {
      auto n = parse_count(*text, 10000);
      if (!n || *n == 0)
        return ApiError{ErrorType::bad_parameter, "expected an integer from 1 to 10000, got \"" + *text + "\"", "limit"};
      limit = *n;
    }
    const auto severity = request.param("severity"), alertname = request.param("alertname");
    const auto node = request.param("node"), job = request.param("job");
    const auto acknowledged = request.param("acknowledged");
    if (acknowledged && *acknowledged != "true" && *acknowledged != "false")
      return ApiError{ErrorType::bad_parameter, "expected true or false, got \"" + *acknowledged + "\"", "acknowledged"};
    auto keep = [&](const alerts::Alert& alert) {
      const std::string name = alerts::state_name(alert.state);
      if (state && *state != name && !(*state == "active" && alert.state != alerts::State::resolved)) return false;
      if (severity && alert.severity != *severity) return false;
      if (alertname && alert.rule != *alertname) return false;
      auto label = [&](const char* key) {
        auto it = alert.labels.find(key);
        return it == alert.labels.end() ? std::string() : it->second;
      };
      if (node && label("node") != *node) return false;
      if (job && label("job") != *job) return false;
      if (acknowledged && alert.ack.has_value() != (*acknowledged == "true")) return false;
      return true;
    };
    json list = json::array();
    std::size_t firing = 0, pending = 0, total = 0;
    std::vector<alerts::Alert> all;
    if (s->alerting) {
      all = s->alerting->engine().active();
      for (auto& alert : s->alerting->engine().resolved()) all.push_back(std::move(alert));
    }
    for (const auto& alert : all) {
      firing += alert.state == alerts::State::firing;
      pending += alert.state == alerts::State::pending;
      if (!keep(alert)) continue;
      ++total;
      if (list.size() < limit) list.push_back(alerts::to_json(alert));
    }
    return json{{"enabled", s->alerting != nullptr}, {"firing", firing}, {"pending", pending},
                {"total", total}, {"limit", limit}, {"alerts", list}};
  });

  router.post("/api/v1/alerts/acknowledge", [s](const Request& request) -> Outcome {
    const json body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("id") || !body["id"].is_string())
      return ApiError{ErrorType::bad_body, "expected a JSON object with a string \"id\"", ""};
    if (body.contains("comment") && !body["comment"].is_string())
      return ApiError{ErrorType::bad_body, "\"comment\" must be a string", ""};
    if (body.contains("by") && !body["by"].is_string())
      return ApiError{ErrorType::bad_body, "\"by\" must be a string", ""};
    const std::string id = body["id"].get<std::string>();
    if (!s->alerting) return ApiError{ErrorType::not_found, "no alert " + id + " (alerting is disabled)", ""};
    // Who: the authenticated caller; a name the token holder gives is kept beside it.
    const std::string identity = request.user.empty() ? "api-token" : request.user;
    const std::string claimed = body.value("by", "");
    const std::string by = claimed.empty() ? identity : claimed + " (" + identity + ")";
    alerts::Alert alert;
    switch (s->alerting->engine().acknowledge(id, by, body.value("comment", ""), now_ns(), &alert)) {
      case alerts::AckResult::acknowledged: return alerts::to_json(alert);
      case alerts::AckResult::not_firing:
        return ApiError{ErrorType::bad_body, "alert " + id + " is pending: only firing alerts are acknowledged", ""};
      case alerts::AckResult::not_found: break;
    }
    return ApiError{ErrorType::not_found, "no active alert " + id, ""};
  });
  // The alerting section read again from the daemon's file (as SIGHUP does for all of it).
  router.post("/api/v1/alerts/reload", [s](const Request&) -> Outcome {
    if (!s->alerting) return ApiError{ErrorType::unavailable, "alerting is disabled (a restart turns it on)", ""};
    const std::string error = s->alerting->reload();
    if (!error.empty()) return ApiError{ErrorType::internal, "configuration refused, rules kept: " + error, ""};
    return json{{"reloaded", true}, {"rules", s->alerting->engine().rules().size()}};
  });
}

std::string alerts_prometheus_text(const Services& services) {
  if (!services.alerting) return "";
  std::map<std::tuple<std::string, std::string, std::string>, int> counts;
  for (const auto& alert : services.alerting->engine().active())
    ++counts[{alert.rule, alert.severity, alerts::state_name(alert.state)}];
  auto escaped = [](const std::string& text) {
    std::string out;
    for (char c : text) {
      if (c == '\\' || c == '"') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    return out;
  };
  const std::string cluster = escaped(services.cluster);
  std::string out =
      "# HELP hpcmon_alerts Active alerts by rule, severity and state (like Prometheus' ALERTS)\n"
      "# TYPE hpcmon_alerts gauge\n";
  for (const auto& [key, count] : counts)
    out += "hpcmon_alerts{cluster=\"" + cluster + "\",alertname=\"" + escaped(std::get<0>(key)) + "\",severity=\"" +
           std::get<1>(key) + "\",state=\"" + std::get<2>(key) + "\"} " + std::to_string(count) + "\n";
  return out;
}

json alerts_summary(const Services& services) {
  if (!services.alerting) return nullptr;
  std::size_t firing = 0, pending = 0;
  for (const auto& alert : services.alerting->engine().active()) {
    firing += alert.state == alerts::State::firing;
    pending += alert.state == alerts::State::pending;
  }
  json channels = json::array();
  for (const auto& stats : services.alerting->channels().stats())
    channels.push_back({{"name", stats.name}, {"delivered", stats.delivered}, {"failed", stats.failed},
                        {"retries", stats.retries}, {"dropped", stats.dropped}, {"queued", stats.queued}});
  return {{"firing", firing}, {"pending", pending}, {"channels", channels}};
}

}  // namespace hpcmon::head
