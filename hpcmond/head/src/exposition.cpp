// /metrics in the Prometheus text format, version 0.0.4. Labels are bounded: cluster and
// node; job detail stays in the records and the JSON API.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>

#include "hpcmon/head/api.hpp"

namespace hpcmon::head {
namespace {

std::string metric_name(const std::string& dotted) {
  std::string out = "hpcmon_node_";
  for (char c : dotted) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += ok ? c : '_';
  }
  return out;
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
    std::set<std::string> done;
    for (const auto& metric : snapshot->metrics) {
      const std::string name = metric_name(metric.name);
      if (!done.insert(name).second) continue;
      family(out, name, "gauge", metric.name + " (" + metric.unit + ") of the head node", labels,
             metric.value);
    }
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
  return out;
}

}  // namespace hpcmon::head
