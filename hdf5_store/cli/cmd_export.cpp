// `hpcmon export FILE --format csv|json [--table T]`: a record's tables for other tools.
#include <iostream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "json_model.hpp"
#include "text_escape.hpp"

namespace hpcmon::cli {
namespace {

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}
template <class T>
std::string num(T v) {
  return std::to_string(v);
}

void csv_ranks(std::ostream& out, const record::JobRecord& rec) {
  out << "rank,node,pid,cpuset,numa_node,wall_s,user_cpu_s,sys_cpu_s,mpi_s,rss_hwm_bytes,clock_offset_ns";
  for (const auto& c : rec.counter_names) out << "," << csv_text(c);
  out << "\n";
  for (const auto& r : rec.ranks) {
    out << r.rank << "," << csv_text(r.node) << "," << r.pid << "," << csv_text(r.cpuset) << "," << r.numa_node << ","
        << num(r.wall_s) << "," << num(r.user_cpu_s) << "," << num(r.sys_cpu_s) << "," << num(r.mpi_s) << ","
        << r.rss_hwm_bytes << "," << r.clock_offset_ns;
    for (std::size_t c = 0; c < rec.counter_names.size(); ++c)
      out << "," << (c < r.counters.size() && !std::isnan(r.counters[c]) ? num(r.counters[c]) : "");
    out << "\n";
  }
}

void csv_mpi(std::ostream& out, const record::JobRecord& rec) {
  out << "rank,function,calls,bytes,errors,total_s,min_s,max_s";
  for (int b = 0; b < record::kSizeBins; ++b) out << ",hist_" << b;
  out << "\n";
  for (const auto& m : rec.mpi) {
    out << m.rank << "," << csv_text(m.function) << "," << m.calls << "," << m.bytes << "," << m.errors << ","
        << num(m.total_s) << "," << num(m.min_s) << "," << num(m.max_s);
    for (auto c : m.size_hist) out << "," << c;
    out << "\n";
  }
}

void csv_traffic(std::ostream& out, const record::JobRecord& rec) {
  out << "src,dst_world,dst,messages,bytes\n";
  for (const auto& t : rec.traffic)
    out << t.src << "," << t.dst_world << "," << t.dst << "," << t.messages << "," << t.bytes << "\n";
}

void csv_nodes(std::ostream& out, const record::JobRecord& rec) {
  out << "node,hostname,fqdn,cpus,mem_total_bytes,cpu_util_mean,cpu_util_max,mem_used_max_bytes,load1_max,"
         "disk_read_bytes,disk_write_bytes,net_rx_bytes,net_tx_bytes\n";
  for (const auto& n : rec.nodes)
    out << csv_text(n.node) << "," << csv_text(n.hostname) << "," << csv_text(n.fqdn) << "," << n.cpus << ","
        << n.mem_total_bytes << "," << num(n.cpu_util_mean) << "," << num(n.cpu_util_max) << ","
        << n.mem_used_max_bytes << "," << num(n.load1_max) << "," << n.disk_read_bytes << "," << n.disk_write_bytes
        << "," << n.net_rx_bytes << "," << n.net_tx_bytes << "\n";
}

// Long form: one line per sample.
void csv_series(std::ostream& out, const record::JobRecord& rec) {
  out << "owner_kind,owner,metric,unit,source,t_ns,value\n";
  for (const auto& s : rec.series) {
    const std::string head = csv_text(s.owner_kind) + "," + csv_text(s.owner) + "," + csv_text(s.metric) + "," +
                             csv_text(s.unit) + "," + csv_text(s.source) + ",";
    for (std::size_t i = 0; i < s.t_ns.size() && i < s.values.size(); ++i)
      out << head << s.t_ns[i] << "," << num(s.values[i]) << "\n";
  }
}

}  // namespace

void add_export(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand("export", "Write a record's tables as CSV or the whole record as JSON");
  auto file = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>();
  auto table = std::make_shared<std::string>("ranks");
  cmd->add_option("FILE", *file, "job record (.h5)")->required();
  cmd->add_option("--format", *format, "csv or json")->required()->check(CLI::IsMember({"csv", "json"}));
  cmd->add_option("--table", *table, "table for csv: ranks, mpi, traffic, nodes, series")
      ->check(CLI::IsMember({"ranks", "mpi", "traffic", "nodes", "series"}))
      ->capture_default_str();
  cmd->callback([&run, file, format, table] {
    run = [file, format, table] {
      const auto rec = store::read_record(*file);
      if (*format == "json") {
        std::cout << record_json(rec).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return kExitOk;
      }
      if (*table == "ranks") csv_ranks(std::cout, rec);
      else if (*table == "mpi") csv_mpi(std::cout, rec);
      else if (*table == "traffic") csv_traffic(std::cout, rec);
      else if (*table == "nodes") csv_nodes(std::cout, rec);
      else csv_series(std::cout, rec);
      return kExitOk;
    };
  });
}

}  // namespace hpcmon::cli
