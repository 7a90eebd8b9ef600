// The built-in rules and the configuration's own rules as one list (engine.hpp).
#include <algorithm>

#include "hpcmon/alerts/engine.hpp"

namespace hpcmon::alerts {
namespace {

std::int64_t ns(double seconds) { return static_cast<std::int64_t>(seconds * 1e9); }

Rule builtin(std::string name, std::string metric, std::string scope, std::string op,
             double threshold, double for_s, std::string severity, std::string description) {
  Rule rule;
  rule.name = std::move(name);
  rule.metric = std::move(metric);
  rule.scope = std::move(scope);
  rule.op = std::move(op);
  rule.threshold = threshold;
  rule.for_ns = ns(for_s);
  rule.severity = std::move(severity);
  rule.description = std::move(description);
  rule.builtin = true;
  return rule;
}

std::vector<Rule> builtin_rules(const config::Config& config) {
  const auto& a = config.alerting;
  const auto& s = config.system;
  const auto& c = config.scheduler;
  return {
      builtin("NodeDown", "node.up", "node", "<", 1, 0, "critical",
              "node {{ $labels.node }} is down: {{ $labels.reason }}"),
      builtin("NodeCpuHigh", "node.cpu_util", "node", ">=", s.cpu_util_warn, a.threshold_for_s,
              "warning", "CPU {{ $value }} busy on {{ $labels.node }}"),
      builtin("NodeCpuHigh", "node.cpu_util", "node", ">=", s.cpu_util_crit, a.threshold_for_s,
              "critical", "CPU {{ $value }} busy on {{ $labels.node }}"),
      builtin("NodeMemoryHigh", "node.mem_used_fraction", "node", ">=", s.memory_used_warn,
              a.threshold_for_s, "warning", "memory {{ $value }} used on {{ $labels.node }}"),
      builtin("NodeMemoryHigh", "node.mem_used_fraction", "node", ">=", s.memory_used_crit,
              a.threshold_for_s, "critical", "memory {{ $value }} used on {{ $labels.node }}"),
      builtin("NodeDiskFull", "node.disk_used_fraction", "node", ">=", s.disk_used_warn,
              a.threshold_for_s, "warning",
              "{{ $labels.mountpoint }} {{ $value }} full on {{ $labels.node }}"),
      builtin("NodeDiskFull", "node.disk_used_fraction", "node", ">=", s.disk_used_crit,
              a.threshold_for_s, "critical",
              "{{ $labels.mountpoint }} {{ $value }} full on {{ $labels.node }}"),
      builtin("JobIdle", "job.cpu_cores", "job", "<", a.job_idle_cpu_below, a.job_idle_for_s,
              "warning", "step {{ $labels.job }}.{{ $labels.step }} uses {{ $value }} cores on {{ $labels.node }}"),
      builtin("JobMemoryNearLimit", "job.mem_limit_fraction", "job", ">=", a.job_memory_fraction, 0,
              "warning", "step {{ $labels.job }}.{{ $labels.step }} at {{ $value }} of its memory limit ({{ $labels.limit_bytes }} "
              "bytes, {{ $labels.limit_source }}) on {{ $labels.node }}"),
      builtin("RecordMissing", "job.record_missing", "job", ">", 0, 0, "warning",
              "record of {{ $labels.job }}.{{ $labels.step }} missing: {{ $labels.reason }}"),
      // The scheduler's RPC statistics (docs/scheduler.md), thresholds in the scheduler section.
      builtin("SchedulerRpcSlow", "scheduler.rpc_latency_s", "cluster", ">", c.rpc_latency_max_s, c.alert_for_s,
              "warning", "{{ $labels.daemon }} took {{ $value }} s per {{ $labels.rpc }} call"),
      builtin("SchedulerAgentQueueGrowing", "scheduler.agent_queue_size", "cluster", ">",
              static_cast<double>(c.agent_queue_max), c.agent_queue_for_s, "warning",
              "slurmctld's agent queue holds {{ $value }} requests"),
      builtin("SchedulerUserFlooding", "scheduler.user_rpc_share", "cluster", ">", c.user_share_max, c.alert_for_s,
              "warning", "user {{ $labels.user }} sent {{ $value }} of {{ $labels.daemon }}'s RPCs"),
      builtin("SchedulerBackfillSlow", "scheduler.backfill_last_cycle_s", "cluster", ">", c.backfill_cycle_max_s,
              c.alert_for_s, "warning", "the last backfill cycle took {{ $value }} s"),
  };
}

}  // namespace

std::vector<Rule> rules_from_config(const config::Config& config) {
  std::vector<Rule> rules;
  const auto& disabled = config.alerting.disabled_builtins;
  for (Rule& rule : builtin_rules(config))
    if (std::find(disabled.begin(), disabled.end(), rule.name) == disabled.end())
      rules.push_back(std::move(rule));
  for (const config::AlertRule& own : config.alerting.rules) {
    Rule rule;
    rule.name = own.name;
    rule.metric = own.metric;
    rule.match = Labels(own.match.begin(), own.match.end());
    rule.scope = own.scope;
    rule.op = own.op;
    rule.threshold = own.threshold;
    rule.for_ns = ns(own.for_s);
    rule.severity = own.severity;
    rule.labels = Labels(own.labels.begin(), own.labels.end());
    rule.description = own.description;
    rules.push_back(std::move(rule));
  }
  return rules;
}

bool compare(const std::string& op, double value, double threshold) {
  if (op == ">") return value > threshold;
  if (op == ">=") return value >= threshold;
  if (op == "<") return value < threshold;
  if (op == "<=") return value <= threshold;
  if (op == "==") return value == threshold;
  if (op == "!=") return value != threshold;
  return false;
}

}  // namespace hpcmon::alerts
