// /metrics in the Prometheus text format, version 0.0.4. Labels are bounded: cluster and
// node; job detail stays in the records and the JSON API.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <vector>

#include "hpcmon/head/api.hpp"
#include "hpcmon/head/api_history.hpp"
#include "hpcmon/head/api_alerts.hpp"
#include "hpcmon/head/api_scheduler.hpp"
#include "hpcmon/head/db_connections.hpp"
#include "hpcmon/head/db_slowlog_collector.hpp"

namespace hpcmon::head {
namespace {

std::string sanitized(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += ok ? c : '_';
  }
  return out;
}

// The per-device part of a sampler name becomes a label, so that one family holds every
// core, disk, interface or filesystem ("cpu.cpu0.user_s" -> hpcmon_node_cpu_user_s{cpu="cpu0"}).
// Their number is bounded by the node's hardware.
struct SplitName {
  std::string family;
  std::string label_key;    // empty: no per-device label
  std::string label_value;
};

SplitName split_name(const std::string& dotted) {
  static const std::pair<const char*, const char*> kPerDevice[] = {
      {"cpu", "cpu"}, {"disk", "device"}, {"net", "interface"}, {"fs", "mountpoint"}};
  const auto first = dotted.find('.');
  const auto last = dotted.rfind('.');
  if (first != std::string::npos && last != first) {
    const std::string group = dotted.substr(0, first);
    for (const auto& [prefix, key] : kPerDevice)
      if (group == prefix)
        return {"hpcmon_node_" + sanitized(group + "_" + dotted.substr(last + 1)), key,
                dotted.substr(first + 1, last - first - 1)};
  }
  return {"hpcmon_node_" + sanitized(dotted), "", ""};
}

std::string label_value(const std::string& text) {
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
}

std::string number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char text[40];
  const auto end = std::to_chars(text, text + sizeof text, value).ptr;
  return std::string(text, end);
}

void family(std::string& out, const std::string& name, const char* type, const std::string& help,
            const std::string& labels, double value) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  out += name + "{" + labels + "} " + number(value) + "\n";
}

}  // namespace

std::string prometheus_text(const Services& services) {
  const std::string labels =
      "cluster=\"" + label_value(services.cluster) + "\",node=\"" + label_value(services.node) + "\"";
  const std::string cluster_label = "cluster=\"" + label_value(services.cluster) + "\"";
  std::string out;
  out.reserve(16384);
  if (auto snapshot = services.system.latest()) {
    // One HELP/TYPE block per family, its samples together, families in first-seen order.
    std::vector<std::string> order;
    std::map<std::string, std::string> samples, help;
    std::set<std::string> seen;
    for (const auto& metric : snapshot->metrics) {
      const SplitName split = split_name(metric.name);
      const std::string series_labels =
          split.label_key.empty() ? labels
                                  : labels + "," + split.label_key + "=\"" + label_value(split.label_value) + "\"";
      if (!seen.insert(split.family + "{" + series_labels + "}").second) continue;
      if (!samples.count(split.family)) {
        order.push_back(split.family);
        help[split.family] = (split.label_key.empty() ? metric.name : split.family.substr(12)) + " (" +
                             metric.unit + ") of the head node" +
                             (split.label_key.empty() ? "" : ", per " + split.label_key);
      }
      samples[split.family] += split.family + "{" + series_labels + "} " + number(metric.value) + "\n";
    }
    for (const auto& name : order)
      out += "# HELP " + name + " " + help[name] + "\n# TYPE " + name + " gauge\n" + samples[name];
  }
  const ScanStats stats = services.records.stats();
  const auto jobs = services.records.jobs();
  family(out, "hpcmon_records_jobs", "gauge", "Jobs in the record index", cluster_label,
         static_cast<double>(jobs->size()));
  family(out, "hpcmon_records_files_read_total", "counter", "Record files read by the scan",
         cluster_label, static_cast<double>(stats.files_read));
  family(out, "hpcmon_records_files_skipped_total", "counter",
         "Damaged or foreign record files skipped", cluster_label,
         static_cast<double>(stats.files_skipped));
  family(out, "hpcmon_records_merges_total", "counter", "Steps merged into canonical records",
         cluster_label, static_cast<double>(stats.merges));
  family(out, "hpcmon_records_scans_total", "counter", "Scans of the record directory",
         cluster_label, static_cast<double>(stats.scans));
  if (services.requests)
    family(out, "hpcmon_api_requests_total", "counter", "HTTP requests served by the head daemon",
           labels, static_cast<double>(services.requests->load()));
  if (services.slurm) {
    family(out, "hpcmon_slurm_rpcs_total", "counter",
           "RPCs this daemon sent to slurmctld", cluster_label,
           static_cast<double>(services.slurm->rpc_count()));
    const nlohmann::json nodes = services.slurm->nodes();
    out += "# HELP hpcmon_slurm_node_up Slurm node is usable (not down, drained or failing)\n"
           "# TYPE hpcmon_slurm_node_up gauge\n";
    for (const auto& node : nodes) {
      const std::string state = node.value("state", "");
      const bool up = state.find("DOWN") == std::string::npos &&
                      state.find("DRAIN") == std::string::npos &&
                      state.find("FAIL") == std::string::npos;
      out += "hpcmon_slurm_node_up{" + cluster_label + ",node=\"" +
             label_value(node.value("name", "")) + "\"} " + (up ? "1" : "0") + "\n";
    }
    const nlohmann::json active = services.slurm->active_jobs();
    std::size_t running = 0, pending = 0;
    for (const auto& job : active) {
      const std::string state = job.value("state", "");
      running += state == "running";
      pending += state == "pending";
    }
    family(out, "hpcmon_slurm_jobs_running", "gauge", "Running jobs", cluster_label,
           static_cast<double>(running));
    family(out, "hpcmon_slurm_jobs_pending", "gauge", "Pending jobs", cluster_label,
           static_cast<double>(pending));
  }
  out += history_exposition(services);
  out += alerts_prometheus_text(services);
  out += scheduler_prometheus_text(services);
  out += db_connections_prometheus_text(services.db, services.cluster);
  out += db_fingerprints_prometheus_text(services.db_statements);
  return out;
}

}  // namespace hpcmon::head
