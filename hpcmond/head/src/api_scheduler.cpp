// The scheduler's statistics as the head shows them: GET /api/v1/scheduler, the /metrics
// families, the history series and the alert samples (scheduler_stats.hpp, api_scheduler.hpp).
#include "hpcmon/head/api_scheduler.hpp"

#include <cmath>
#include <cstdio>

#include "hpcmon/head/api.hpp"
#include "hpcmon/head/params.hpp"
#include "hpcmon/history.hpp"

namespace hpcmon::head {
namespace {

using nlohmann::json;

json figures_json(const std::vector<RpcFigures>& list, const char* key) {
  json out = json::array();
  for (const auto& f : list)
    out.push_back({{key, f.name},
                   {"id", f.id},
                   {"count", f.count},
                   {"time_s", static_cast<double>(f.time_us) / 1e6},
                   {"mean_latency_s", f.mean_latency_s},
                   {"total", f.total},
                   {"total_time_s", f.total_time_s},
                   {"interval_count", f.interval_count},
                   {"rate_per_s", f.rate_per_s},
                   {"interval_latency_s", f.interval_latency_s ? json(*f.interval_latency_s) : json(nullptr)},
                   {"share", f.share}});
  return out;
}

json daemon_json(const DaemonView& d) {
  json counters = json::object();
  for (const auto& [name, c] : d.counters)
    counters[name] = {{"value", c.value}, {"total", c.total}, {"rate_per_s", c.rate_per_s}};
  return json{{"daemon", d.daemon},
              {"read_at", format_time(d.t_ns)},
              {"since", format_time(d.since_s * 1000000000LL)},
              {"interval_s", d.interval_s},
              {"reset_in_interval", d.reset},
              {"resets", d.resets},
              {"rpc_types", figures_json(d.types, "rpc")},
              {"users", figures_json(d.users, "user")},
              {"gauges", d.gauges},
              {"counters", counters}};
}

std::string escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string number(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

// One family: HELP and TYPE once, then each sample.
struct Family {
  std::string name, type, help, lines;
  void add(const std::string& labels, double value) { lines += name + "{" + labels + "} " + number(value) + "\n"; }
  std::string text() const {
    return lines.empty() ? "" : "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + lines;
  }
};

// Prometheus' naming: units spelled out, no _count suffix outside histograms.
std::string prometheus_name(const std::string& name) {
  if (name == "agent_count") return "agents";
  if (name.size() > 2 && name.compare(name.size() - 2, 2, "_s") == 0) return name.substr(0, name.size() - 2) + "_seconds";
  return name;
}

void add(history::Store& store, std::vector<history::Write>& batch, const std::string& metric,
         const history::Labels& labels, std::int64_t t_ns, double value) {
  if (!std::isfinite(value) || value < 0) return;
  batch.push_back({store.series(metric, labels), t_ns, value});
}

}  // namespace

json scheduler_json(const SchedulerView& view) {
  json out = {{"cluster", view.cluster},
              {"collected_at", format_time(view.collected_ns)},
              {"interval_s", view.interval_s},
              {"collections", view.collections},
              {"errors", view.errors},
              {"own_rpcs", {{"slurmctld", view.controller_rpcs}, {"slurmdbd", view.dbd_rpcs}}},
              {"collection_cost_us", view.last_cost_us},
              {"slurmctld", view.controller ? daemon_json(*view.controller) : json(nullptr)},
              {"slurmctld_error", view.controller_error},
              {"slurmdbd_status", view.dbd_status},
              {"slurmdbd", view.dbd ? daemon_json(*view.dbd) : json(nullptr)}};
  return out;
}

std::string scheduler_exposition(const SchedulerView& view) {
  const std::string cluster = "cluster=\"" + escaped(view.cluster) + "\"";
  Family rpcs{"hpcmon_scheduler_rpcs_total", "counter",
              "RPCs a Slurm daemon served, by type, since hpcmond started reading (resets of the daemon's "
              "statistics are absorbed)", ""};
  Family rpc_time{"hpcmon_scheduler_rpc_seconds_total", "counter", "Time a Slurm daemon spent serving RPCs, by type", ""};
  Family users{"hpcmon_scheduler_user_rpcs_total", "counter", "RPCs a Slurm daemon served, by user", ""};
  Family user_time{"hpcmon_scheduler_user_rpc_seconds_total", "counter", "Time a Slurm daemon spent on a user's RPCs", ""};
  Family resets{"hpcmon_scheduler_stats_resets_total", "counter",
                "Resets of a Slurm daemon's statistics seen (sdiag -r, midnight UTC, restart)", ""};
  std::string gauges_text, counters_text;
  std::map<std::string, Family> gauges, counters;
  for (const DaemonView* d : {view.controller ? &*view.controller : nullptr, view.dbd ? &*view.dbd : nullptr}) {
    if (!d) continue;
    const std::string base = cluster + ",daemon=\"" + d->daemon + "\"";
    for (const auto& f : d->types) {
      const std::string labels = base + ",rpc=\"" + escaped(f.name) + "\",id=\"" + std::to_string(f.id) + "\"";
      rpcs.add(labels, static_cast<double>(f.total));
      rpc_time.add(labels, f.total_time_s);
    }
    for (const auto& f : d->users) {
      const std::string labels = base + ",user=\"" + escaped(f.name) + "\",uid=\"" + std::to_string(f.id) + "\"";
      users.add(labels, static_cast<double>(f.total));
      user_time.add(labels, f.total_time_s);
    }
    resets.add(base, static_cast<double>(d->resets));
    for (const auto& [name, value] : d->gauges) {
      Family& g = gauges[name];
      if (g.name.empty()) g = {"hpcmon_scheduler_" + prometheus_name(name), "gauge", "Slurm daemon statistic " + name + " (docs/scheduler.md)", ""};
      g.add(base, value);
    }
    for (const auto& [name, c] : d->counters) {
      Family& f = counters[name];
      if (f.name.empty())
        f = {"hpcmon_scheduler_" + name + "_total", "counter",
             "Slurm daemon counter " + name + " since hpcmond started reading (docs/scheduler.md)", ""};
      f.add(base, static_cast<double>(c.total));
    }
  }
  std::string out = rpcs.text() + rpc_time.text() + users.text() + user_time.text() + resets.text();
  for (const auto& [name, g] : gauges) out += g.text();
  for (const auto& [name, c] : counters) out += c.text();
  Family own{"hpcmon_scheduler_collector_rpcs_total", "counter", "RPCs the statistics collector sent to a Slurm daemon", ""};
  own.add(cluster + ",daemon=\"slurmctld\"", static_cast<double>(view.controller_rpcs));
  own.add(cluster + ",daemon=\"slurmdbd\"", static_cast<double>(view.dbd_rpcs));
  Family errors{"hpcmon_scheduler_collection_errors_total", "counter", "Statistics reads that failed", ""};
  errors.add(cluster, static_cast<double>(view.errors));
  Family cost{"hpcmon_scheduler_collection_seconds", "gauge", "Time of the last statistics collection (read, rates, store)", ""};
  cost.add(cluster, view.last_cost_us / 1e6);
  return out + own.text() + errors.text() + cost.text();
}

void store_scheduler_view(history::Store& store, const SchedulerView& view) {
  std::vector<history::Write> batch;
  for (const DaemonView* d : {view.controller ? &*view.controller : nullptr, view.dbd ? &*view.dbd : nullptr}) {
    if (!d) continue;
    const history::Labels base = {{"cluster", view.cluster}, {"daemon", d->daemon}};
    for (const auto& [name, value] : d->gauges)
      if (name != "backfill_last_cycle_time") add(store, batch, "scheduler." + name, base, d->t_ns, value);
    if (d->interval_s <= 0) continue;  // the first read gives no rate
    for (const auto& [name, c] : d->counters) add(store, batch, "scheduler." + name + "_rate", base, d->t_ns, c.rate_per_s);
    for (const auto& f : d->types) {
      history::Labels labels = base;
      labels["rpc"] = f.name;
      add(store, batch, "scheduler.rpc_rate", labels, d->t_ns, f.rate_per_s);
      if (f.interval_latency_s) add(store, batch, "scheduler.rpc_latency_s", labels, d->t_ns, *f.interval_latency_s);
    }
    for (const auto& f : d->users) {
      history::Labels labels = base;
      labels["user"] = f.name;
      add(store, batch, "scheduler.user_rpc_rate", labels, d->t_ns, f.rate_per_s);
      if (f.interval_latency_s) add(store, batch, "scheduler.user_rpc_latency_s", labels, d->t_ns, *f.interval_latency_s);
    }
  }
  store.append(batch);  // a refusal is counted and logged by the store
}

std::vector<alerts::Sample> scheduler_samples(const SchedulerView& view, const config::Scheduler& settings) {
  std::vector<alerts::Sample> out;
  for (const DaemonView* d : {view.controller ? &*view.controller : nullptr, view.dbd ? &*view.dbd : nullptr}) {
    if (!d || d->interval_s <= 0) continue;
    const alerts::Labels base = {{"cluster", view.cluster}, {"daemon", d->daemon}};
    for (const auto& f : d->types)
      if (f.interval_latency_s) {
        alerts::Labels labels = base;
        labels["rpc"] = f.name;
        out.push_back({"scheduler.rpc_latency_s", labels, *f.interval_latency_s});
      }
    // A user's share counts only at a rate worth the name: one user alone on a quiet
    // controller is not flooding it.
    for (const auto& f : d->users)
      if (f.rate_per_s >= settings.user_rate_min) {
        alerts::Labels labels = base;
        labels["user"] = f.name;
        out.push_back({"scheduler.user_rpc_share", labels, f.share});
      }
    if (d->daemon != "slurmctld") continue;
    if (auto it = d->gauges.find("agent_queue_size"); it != d->gauges.end())
      out.push_back({"scheduler.agent_queue_size", base, it->second});
    if (auto it = d->gauges.find("backfill_last_cycle_s"); it != d->gauges.end())
      out.push_back({"scheduler.backfill_last_cycle_s", base, it->second});
  }
  return out;
}

void register_scheduler_routes(Router& router, Services& services) {
  Services* s = &services;
  router.get("/api/v1/scheduler", [s](const Request&) -> Outcome {
    if (!s->scheduler)
      return ApiError{ErrorType::unavailable,
                      s->slurm ? "scheduler statistics are off (scheduler.enabled: false)"
                               : "Slurm is not reachable from this daemon",
                      ""};
    auto view = s->scheduler->latest();
    if (!view) return ApiError{ErrorType::unavailable, "no scheduler statistics read yet", ""};
    return scheduler_json(*view);
  });
}

std::string scheduler_prometheus_text(const Services& services) {
  if (!services.scheduler) return "";
  auto view = services.scheduler->latest();
  return view ? scheduler_exposition(*view) : "";
}

std::vector<alerts::Sample> scheduler_alert_samples(const Services& services) {
  if (!services.scheduler) return {};
  auto view = services.scheduler->latest();
  return view ? scheduler_samples(*view, services.scheduler->settings()) : std::vector<alerts::Sample>{};
}

}  // namespace hpcmon::head
