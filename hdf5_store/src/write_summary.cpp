// Writes the derived /summary group. Readers never need it (summarize() recomputes it); it
// is there so that h5py users and the daemon's index get the headline figures cheaply.
#include "format.hpp"
#include "write_parts.hpp"

namespace hpcmon::store::detail {

void write_summary(hid_t file, const Summary& s) {
  using namespace format;
  h5::Id grp = h5::check(H5Gcreate2(file, kSummary, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), kSummary);
  h5::write_attr_u32(grp, "ranks", s.ranks);
  h5::write_attr_f64(grp, "wall_s", s.wall_s);
  h5::write_attr_f64(grp, "mpi_fraction", s.mpi_fraction);
  h5::write_attr_f64(grp, "cpu_used_s", s.cpu_used_s);
  h5::write_attr_f64(grp, "cpu_available_s", s.cpu_available_s);
  h5::write_attr_f64(grp, "cpu_efficiency", s.cpu_efficiency);
  h5::write_attr_u64(grp, "mem_hwm_bytes", s.mem_hwm_bytes);
  h5::write_attr_u64(grp, "mem_requested_bytes", s.mem_requested_bytes);
  h5::write_attr_f64(grp, "mem_efficiency", s.mem_efficiency);
  h5::write_attr_str_list(grp, "warnings", s.warnings);

  table::Rows metrics(metric_schema(), s.metrics.size());
  for (std::size_t i = 0; i < s.metrics.size(); ++i) {
    const auto& m = s.metrics[i];
    metrics.set_str(i, metric_col::name, m.name);
    metrics.set_str(i, metric_col::unit, m.unit);
    metrics.set<double>(i, metric_col::min, m.min);
    metrics.set<double>(i, metric_col::mean, m.mean);
    metrics.set<double>(i, metric_col::max, m.max);
    metrics.set<double>(i, metric_col::imbalance, m.imbalance);
    metrics.set<std::int32_t>(i, metric_col::min_rank, m.min_rank);
    metrics.set<std::int32_t>(i, metric_col::max_rank, m.max_rank);
  }
  metrics.write(grp, "metrics");

  table::Rows functions(function_schema(), s.functions.size());
  for (std::size_t i = 0; i < s.functions.size(); ++i) {
    const auto& f = s.functions[i];
    functions.set_str(i, function_col::function, f.function);
    functions.set<std::uint64_t>(i, function_col::calls, f.calls);
    functions.set<std::uint64_t>(i, function_col::bytes, f.bytes);
    functions.set<std::uint64_t>(i, function_col::errors, f.errors);
    functions.set<double>(i, function_col::total_s, f.total_s);
    functions.set<double>(i, function_col::fraction_of_mpi, f.fraction_of_mpi);
    functions.set<double>(i, function_col::max_rank_s, f.max_rank_s);
  }
  functions.write(grp, "functions");
}

}  // namespace hpcmon::store::detail
