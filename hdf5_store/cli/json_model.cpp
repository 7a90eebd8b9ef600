#include "json_model.hpp"

#include <ctime>

namespace hpcmon::cli {
namespace {

using nlohmann::json;

json job_json(const record::JobRecord& rec) {
  const auto& j = rec.job;
  return {{"cluster", j.key.cluster},
          {"job", j.key.job},
          {"step", j.key.step},
          {"restart_count", j.key.restart_count},
          {"run", j.key.run},
          {"name", j.job_name},
          {"user", j.user},
          {"account", j.account},
          {"partition", j.partition},
          {"node_list", j.node_list},
          {"nodes", j.node_count},
          {"ranks", j.rank_count},
          {"command_line", j.command_line},
          {"start_ns", j.start_ns},
          {"end_ns", j.end_ns},
          {"start", rfc3339(j.start_ns)},
          {"end", rfc3339(j.end_ns)},
          {"exit_status", j.exit_status_known ? json(j.exit_status) : json(nullptr)},
          {"partial", j.partial},
          {"partial_reason", j.partial_reason},
          {"has_mpi", rec.has_mpi},
          {"mpi_table_overflows", rec.mpi_table_overflows}};
}

json allocation_json(const record::JobRecord& rec) {
  const auto& a = rec.job.allocation;
  return {{"cores", a.cores}, {"memory_bytes", a.memory_bytes}, {"time_limit_s", a.time_limit_s}};
}

json metric_json(const store::MetricStat& m) {
  return {{"name", m.name}, {"unit", m.unit}, {"min", m.min}, {"mean", m.mean}, {"max", m.max},
          {"imbalance", m.imbalance}, {"min_rank", m.min_rank}, {"max_rank", m.max_rank}};
}

const store::MetricStat* find_metric(const store::Summary& s, const std::string& name) {
  for (const auto& m : s.metrics)
    if (m.name == name) return &m;
  return nullptr;
}

}  // namespace

std::string rfc3339(std::int64_t ns) {
  if (ns == 0) return "";
  std::int64_t secs = ns / 1'000'000'000, frac = ns % 1'000'000'000;
  if (frac < 0) frac += 1'000'000'000, --secs;
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
  return buf;
}

json report_json(const record::JobRecord& rec, const store::Summary& s) {
  json out;
  out["job"] = job_json(rec);
  out["allocation"] = allocation_json(rec);
  out["efficiency"] = {{"wall_s", s.wall_s},
                       {"cpu_used_s", s.cpu_used_s},
                       {"cpu_available_s", s.cpu_available_s},
                       {"cpu_efficiency", s.cpu_efficiency},
                       {"mem_hwm_bytes", s.mem_hwm_bytes},
                       {"mem_requested_bytes", s.mem_requested_bytes},
                       {"mem_efficiency", s.mem_efficiency}};
  json top = json::array();
  for (std::size_t i = 0; i < s.functions.size() && i < kTopFunctions; ++i) {
    const auto& f = s.functions[i];
    top.push_back({{"function", f.function}, {"calls", f.calls}, {"bytes", f.bytes}, {"errors", f.errors},
                   {"total_s", f.total_s}, {"fraction_of_mpi", f.fraction_of_mpi}, {"max_rank_s", f.max_rank_s}});
  }
  out["mpi"] = {{"fraction", s.mpi_fraction}, {"top_functions", top}};
  json imbalance = json::object();
  for (const char* name : {"wall_s", "cpu_s", "mpi_s"})
    if (const auto* m = find_metric(s, name)) imbalance[name] = m->imbalance;
  out["imbalance"] = imbalance;
  json counters = json::array();
  for (const auto& name : rec.counter_names)
    if (const auto* m = find_metric(s, name)) counters.push_back(metric_json(*m));
  out["counters"] = {{"source", rec.job.counter_source}, {"quality", rec.job.counter_quality},
                     {"note", rec.job.counter_note}, {"stats", counters}};
  const auto* rss = find_metric(s, "rss_hwm_bytes");
  out["memory"] = {{"hwm_bytes_sum", s.mem_hwm_bytes},
                   {"hwm_bytes_max_rank", rss ? rss->max : 0.0},
                   {"hwm_rank", rss ? rss->max_rank : -1}};
  json metrics = json::array();
  for (const auto& m : s.metrics) metrics.push_back(metric_json(m));
  out["metrics"] = metrics;
  out["warnings"] = s.warnings;
  return out;
}

json record_json(const record::JobRecord& rec) {
  json out;
  out["job"] = job_json(rec);
  out["allocation"] = allocation_json(rec);
  out["counter_source"] = rec.job.counter_source;
  out["counter_quality"] = rec.job.counter_quality;
  out["counter_note"] = rec.job.counter_note;
  out["counter_names"] = rec.counter_names;
  json ranks = json::array();
  for (const auto& r : rec.ranks)
    ranks.push_back({{"rank", r.rank}, {"node", r.node}, {"pid", r.pid}, {"cpuset", r.cpuset},
                     {"numa_node", r.numa_node}, {"wall_s", r.wall_s}, {"user_cpu_s", r.user_cpu_s},
                     {"sys_cpu_s", r.sys_cpu_s}, {"mpi_s", r.mpi_s}, {"rss_hwm_bytes", r.rss_hwm_bytes},
                     {"clock_offset_ns", r.clock_offset_ns}, {"counters", r.counters}});
  out["ranks"] = ranks;
  json nodes = json::array();
  for (const auto& n : rec.nodes)
    nodes.push_back({{"node", n.node}, {"hostname", n.hostname}, {"fqdn", n.fqdn}, {"cpus", n.cpus},
                     {"mem_total_bytes", n.mem_total_bytes}, {"cpu_util_mean", n.cpu_util_mean},
                     {"cpu_util_max", n.cpu_util_max}, {"mem_used_max_bytes", n.mem_used_max_bytes},
                     {"load1_max", n.load1_max}, {"disk_read_bytes", n.disk_read_bytes},
                     {"disk_write_bytes", n.disk_write_bytes}, {"net_rx_bytes", n.net_rx_bytes},
                     {"net_tx_bytes", n.net_tx_bytes}});
  out["nodes"] = nodes;
  json mpi = json::array();
  for (const auto& m : rec.mpi)
    mpi.push_back({{"rank", m.rank}, {"function", m.function}, {"calls", m.calls}, {"bytes", m.bytes},
                   {"errors", m.errors}, {"total_s", m.total_s}, {"min_s", m.min_s}, {"max_s", m.max_s},
                   {"size_hist", m.size_hist}});
  out["mpi"] = mpi;
  json traffic = json::array();
  for (const auto& t : rec.traffic)
    traffic.push_back({{"src", t.src}, {"dst_world", t.dst_world}, {"dst", t.dst}, {"messages", t.messages},
                       {"bytes", t.bytes}});
  out["traffic"] = traffic;
  json series = json::array();
  for (const auto& s : rec.series)
    series.push_back({{"owner_kind", s.owner_kind}, {"owner", s.owner}, {"metric", s.metric}, {"unit", s.unit},
                      {"source", s.source}, {"t_ns", s.t_ns}, {"values", s.values}});
  out["series"] = series;
  return out;
}

}  // namespace hpcmon::cli
