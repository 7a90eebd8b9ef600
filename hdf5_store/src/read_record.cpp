// Reader: checks the HDF5 signature before HDF5 sees the file (so random bytes never reach
// the library), then the format version, then reads and cross-checks every table.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "diagnosis_group.hpp"
#include "format.hpp"
#include "hpcmon/store.hpp"

namespace hpcmon::store {
namespace {

using record::JobRecord;
using Kind = RecordError::Kind;

constexpr unsigned char kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

// HDF5 looks for its superblock at 0, 512, 1024, 2048, ... (a user block may precede it).
void check_signature(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw RecordError(Kind::unreadable, path.string() + ": cannot open: " + std::strerror(errno));
  off_t size = ::lseek(fd, 0, SEEK_END);
  bool found = false;
  for (off_t at = 0; !found && at + 8 <= size; at = at == 0 ? 512 : at * 2) {
    unsigned char buf[8];
    if (::pread(fd, buf, 8, at) != 8) break;
    found = std::memcmp(buf, kSignature, 8) == 0;
  }
  ::close(fd);
  if (size < 0) throw RecordError(Kind::unreadable, path.string() + ": cannot read");
  if (!found) throw RecordError(Kind::not_hdf5, path.string() + ": not an HDF5 file");
}

h5::Id open_file(const std::filesystem::path& path) {
  check_signature(path);
  h5::Id fapl = h5::check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate");
  h5::disable_file_locking(fapl);
  h5::check_status(H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG), "H5Pset_fclose_degree");
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl);
  if (file < 0) throw RecordError(Kind::damaged, path.string() + ": damaged HDF5 file (truncated or corrupt)");
  return h5::Id(file);
}

FormatVersion check_version(hid_t file, const std::filesystem::path& path) {
  auto major = h5::read_attr_u64(file, "format_major");
  auto minor = h5::read_attr_u64(file, "format_minor");
  if (!major || !minor) throw RecordError(Kind::not_hpcmon, path.string() + ": HDF5 file is not an hpcmon record");
  if (*major != kFormatMajor)
    throw RecordError(Kind::unsupported_major,
                      path.string() + ": record format " + std::to_string(*major) + "." + std::to_string(*minor) +
                          " is not supported (this reader knows " + std::to_string(kFormatMajor) + ".x)");
  return {static_cast<unsigned>(*major), static_cast<unsigned>(*minor)};
}

std::string str_attr(hid_t o, const char* n) { return h5::read_attr_str(o, n).value_or(""); }
std::int64_t i64_attr(hid_t o, const char* n) { return h5::read_attr_i64(o, n).value_or(0); }
std::uint64_t u64_attr(hid_t o, const char* n) { return h5::read_attr_u64(o, n).value_or(0); }

void read_root(hid_t file, JobRecord& rec) {
  auto& j = rec.job;
  j.key.cluster = str_attr(file, "cluster");
  j.key.job = str_attr(file, "job");
  j.key.step = str_attr(file, "step");
  j.key.restart_count = static_cast<std::uint32_t>(u64_attr(file, "restart_count"));
  j.key.run = static_cast<std::uint32_t>(u64_attr(file, "run"));
  j.job_name = str_attr(file, "job_name");
  j.user = str_attr(file, "user");
  j.account = str_attr(file, "account");
  j.partition = str_attr(file, "partition");
  j.node_list = str_attr(file, "node_list");
  j.node_count = static_cast<std::uint32_t>(u64_attr(file, "node_count"));
  j.rank_count = static_cast<std::uint32_t>(u64_attr(file, "rank_count"));
  j.allocation.cores = static_cast<std::uint32_t>(u64_attr(file, "alloc_cores"));
  j.allocation.memory_bytes = u64_attr(file, "alloc_memory_bytes");
  j.allocation.time_limit_s = u64_attr(file, "alloc_time_limit_s");
  j.command_line = str_attr(file, "command_line");
  j.start_ns = i64_attr(file, "start_ns");
  j.end_ns = i64_attr(file, "end_ns");
  j.exit_status_known = u64_attr(file, "exit_status_known") != 0;
  j.exit_status = static_cast<std::int32_t>(i64_attr(file, "exit_status"));
  j.counter_source = str_attr(file, "counter_source");
  j.counter_quality = str_attr(file, "counter_quality");
  j.counter_note = str_attr(file, "counter_note");  // optional: absent in older records
  j.partial = u64_attr(file, "partial") != 0;
  j.partial_reason = str_attr(file, "partial_reason");
  rec.has_mpi = u64_attr(file, "has_mpi") != 0;
  rec.mpi_table_overflows = u64_attr(file, "mpi_table_overflows");
}

void read_ranks(hid_t file, JobRecord& rec) {
  using namespace format;
  if (!h5::link_exists(file, kRanks)) return;
  auto rows = table::Rows::read(file, kRanks, rank_schema());
  rec.ranks.resize(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& r = rec.ranks[i];
    r.rank = rows.get<std::int32_t>(i, rank_col::rank);
    r.node = rows.get_str(i, rank_col::node);
    r.pid = rows.get<std::int64_t>(i, rank_col::pid);
    r.cpuset = rows.get_str(i, rank_col::cpuset);
    r.numa_node = rows.get<std::int32_t>(i, rank_col::numa_node);
    r.wall_s = rows.get<double>(i, rank_col::wall_s);
    r.user_cpu_s = rows.get<double>(i, rank_col::user_cpu_s);
    r.sys_cpu_s = rows.get<double>(i, rank_col::sys_cpu_s);
    r.mpi_s = rows.get<double>(i, rank_col::mpi_s);
    r.rss_hwm_bytes = rows.get<std::uint64_t>(i, rank_col::rss_hwm_bytes);
    r.clock_offset_ns = rows.get<std::int64_t>(i, rank_col::clock_offset_ns);
    r.clock_offset_init_ns = rows.get<std::int64_t>(i, rank_col::clock_offset_init_ns);
    r.clock_offset_final_ns = rows.get<std::int64_t>(i, rank_col::clock_offset_final_ns);
    r.clock_rtt_init_ns = rows.get<std::int64_t>(i, rank_col::clock_rtt_init_ns);
    r.clock_rtt_final_ns = rows.get<std::int64_t>(i, rank_col::clock_rtt_final_ns);
    r.clock_drift_ns_per_s = rows.get<double>(i, rank_col::clock_drift_ns_per_s);
    r.clock_source = rows.get_str(i, rank_col::clock_source);
  }
  if (!h5::link_exists(file, kRankCounters)) return;
  hsize_t dims[2] = {0, 0};
  auto values = table::read_array<double>(file, kRankCounters, H5T_NATIVE_DOUBLE, 2, dims);
  h5::Id dset = h5::check(H5Dopen2(file, kRankCounters, H5P_DEFAULT), kRankCounters);
  rec.counter_names = h5::read_attr_str_list(dset, "names");
  if (dims[0] != rec.ranks.size() || dims[1] != rec.counter_names.size())
    h5::fail("rank_counters does not match ranks and counter names");
  for (std::size_t i = 0; i < rec.ranks.size(); ++i)
    rec.ranks[i].counters.assign(values.begin() + static_cast<std::ptrdiff_t>(i * dims[1]),
                                 values.begin() + static_cast<std::ptrdiff_t>((i + 1) * dims[1]));
}

void read_nodes(hid_t file, JobRecord& rec) {
  using namespace format;
  if (!h5::link_exists(file, kNodes)) return;
  auto rows = table::Rows::read(file, kNodes, node_schema());
  rec.nodes.resize(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& n = rec.nodes[i];
    n.node = rows.get_str(i, node_col::node);
    n.hostname = rows.get_str(i, node_col::hostname);
    n.fqdn = rows.get_str(i, node_col::fqdn);
    n.cpus = rows.get<std::uint32_t>(i, node_col::cpus);
    n.mem_total_bytes = rows.get<std::uint64_t>(i, node_col::mem_total_bytes);
    n.cpu_util_mean = rows.get<double>(i, node_col::cpu_util_mean);
    n.cpu_util_max = rows.get<double>(i, node_col::cpu_util_max);
    n.mem_used_max_bytes = rows.get<std::uint64_t>(i, node_col::mem_used_max_bytes);
    n.load1_max = rows.get<double>(i, node_col::load1_max);
    n.disk_read_bytes = rows.get<std::uint64_t>(i, node_col::disk_read_bytes);
    n.disk_write_bytes = rows.get<std::uint64_t>(i, node_col::disk_write_bytes);
    n.net_rx_bytes = rows.get<std::uint64_t>(i, node_col::net_rx_bytes);
    n.net_tx_bytes = rows.get<std::uint64_t>(i, node_col::net_tx_bytes);
  }
}

void read_traffic(hid_t mpi, JobRecord& rec) {
  using namespace format;
  if (!h5::link_exists(mpi, kTraffic)) return;
  h5::Id grp = h5::check(H5Gopen2(mpi, kTraffic, H5P_DEFAULT), kTraffic);
  const std::string layout = h5::read_attr_str(grp, "layout").value_or("");
  if (layout == "dense") {
    hsize_t dm[2] = {0, 0}, db[2] = {0, 0};
    auto messages = table::read_array<std::uint64_t>(grp, kTrafficDenseMessages, H5T_NATIVE_UINT64, 2, dm);
    auto bytes = table::read_array<std::uint64_t>(grp, kTrafficDenseBytes, H5T_NATIVE_UINT64, 2, db);
    if (dm[0] != dm[1] || dm[0] != db[0] || dm[1] != db[1]) h5::fail("dense traffic matrices differ in shape");
    for (hsize_t s = 0; s < dm[0]; ++s)
      for (hsize_t d = 0; d < dm[1]; ++d) {
        const std::size_t k = s * dm[1] + d;
        if (messages[k] == 0 && bytes[k] == 0) continue;
        rec.traffic.push_back({static_cast<std::int32_t>(s), 0, static_cast<std::int32_t>(d), messages[k], bytes[k]});
      }
  } else if (layout == "coo") {
    auto rows = table::Rows::read(grp, kTrafficCoo, traffic_schema());
    rec.traffic.resize(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i)
      rec.traffic[i] = {rows.get<std::int32_t>(i, traffic_col::src), rows.get<std::uint32_t>(i, traffic_col::dst_world),
                        rows.get<std::int32_t>(i, traffic_col::dst), rows.get<std::uint64_t>(i, traffic_col::messages),
                        rows.get<std::uint64_t>(i, traffic_col::bytes)};
  } else {
    h5::fail("unknown traffic layout '" + layout + "'");
  }
}

void read_mpi(hid_t file, JobRecord& rec) {
  using namespace format;
  if (!h5::link_exists(file, kMpi)) return;
  h5::Id grp = h5::check(H5Gopen2(file, kMpi, H5P_DEFAULT), kMpi);
  auto names = table::read_strings(grp, kMpiFunctionNames);
  auto calls = table::Rows::read(grp, kMpiCalls, call_schema());
  rec.mpi.resize(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    auto& m = rec.mpi[i];
    auto fn = calls.get<std::uint16_t>(i, call_col::function);
    if (fn >= names.size()) h5::fail("mpi/calls names an unknown function");
    m.function = names[fn];
    m.rank = calls.get<std::int32_t>(i, call_col::rank);
    m.calls = calls.get<std::uint64_t>(i, call_col::calls);
    m.bytes = calls.get<std::uint64_t>(i, call_col::bytes);
    m.errors = calls.get<std::uint64_t>(i, call_col::errors);
    m.total_s = calls.get<double>(i, call_col::total_s);
    m.min_s = calls.get<double>(i, call_col::min_s);
    m.max_s = calls.get<double>(i, call_col::max_s);
  }
  if (h5::link_exists(grp, kMpiSizeHist)) {
    auto hist = table::Rows::read(grp, kMpiSizeHist, hist_schema());
    for (std::size_t i = 0; i < hist.size(); ++i) {
      auto row = hist.get<std::uint32_t>(i, hist_col::row);
      auto bin = hist.get<std::uint8_t>(i, hist_col::bin);
      if (row >= rec.mpi.size() || bin >= record::kSizeBins) h5::fail("mpi/size_hist points outside mpi/calls");
      rec.mpi[row].size_hist[bin] += hist.get<std::uint64_t>(i, hist_col::count);
    }
  }
  read_traffic(grp, rec);
}

void read_series(hid_t file, JobRecord& rec) {
  using namespace format;
  if (!h5::link_exists(file, kSeries)) return;
  h5::Id grp = h5::check(H5Gopen2(file, kSeries, H5P_DEFAULT), kSeries);
  auto index = table::Rows::read(grp, kSeriesIndex, series_schema());
  hsize_t dt[1] = {0}, dv[1] = {0};
  auto t_ns = table::read_array<std::int64_t>(grp, kSeriesTime, H5T_NATIVE_INT64, 1, dt);
  auto values = table::read_array<double>(grp, kSeriesValues, H5T_NATIVE_DOUBLE, 1, dv);
  rec.series.resize(index.size());
  for (std::size_t i = 0; i < index.size(); ++i) {
    auto& s = rec.series[i];
    s.owner_kind = index.get_str(i, series_col::owner_kind);
    s.owner = index.get_str(i, series_col::owner);
    s.metric = index.get_str(i, series_col::metric);
    s.unit = index.get_str(i, series_col::unit);
    s.source = index.get_str(i, series_col::source);
    auto offset = index.get<std::uint64_t>(i, series_col::offset);
    auto count = index.get<std::uint64_t>(i, series_col::count);
    auto t_offset = index.present(series_col::t_offset) ? index.get<std::uint64_t>(i, series_col::t_offset) : offset;
    if (offset > dv[0] || count > dv[0] - offset || t_offset > dt[0] || count > dt[0] - t_offset)
      h5::fail("series/index points outside the samples");
    auto b = static_cast<std::ptrdiff_t>(offset), e = static_cast<std::ptrdiff_t>(offset + count);
    auto tb = static_cast<std::ptrdiff_t>(t_offset), te = static_cast<std::ptrdiff_t>(t_offset + count);
    s.t_ns.assign(t_ns.begin() + tb, t_ns.begin() + te);
    s.values.assign(values.begin() + b, values.begin() + e);
  }
}

}  // namespace

const char* kind_name(RecordError::Kind kind) {
  switch (kind) {
    case Kind::unreadable: return "unreadable";
    case Kind::not_hdf5: return "not_hdf5";
    case Kind::not_hpcmon: return "not_hpcmon";
    case Kind::unsupported_major: return "unsupported_major";
    case Kind::damaged: return "damaged";
    case Kind::write_failed: return "write_failed";
  }
  return "unknown";
}

FormatVersion read_format_version(const std::filesystem::path& path) {
  h5::QuietErrors quiet;
  try {
    h5::Id file = open_file(path);
    return check_version(file, path);
  } catch (const h5::Failure& f) {
    throw RecordError(Kind::damaged, path.string() + ": damaged record: " + f.what);
  }
}

record::JobRecord read_record(const std::filesystem::path& path) {
  h5::QuietErrors quiet;
  try {
    h5::Id file = open_file(path);
    check_version(file, path);
    JobRecord rec;
    read_root(file, rec);
    read_ranks(file, rec);
    read_nodes(file, rec);
    read_mpi(file, rec);
    read_series(file, rec);
    detail::read_diagnosis(file, rec.diagnosis);
    return rec;
  } catch (const h5::Failure& f) {
    throw RecordError(Kind::damaged, path.string() + ": damaged record: " + f.what);
  } catch (const std::bad_alloc&) {
    throw RecordError(Kind::damaged, path.string() + ": damaged record: implausible sizes");
  } catch (const std::length_error&) {
    throw RecordError(Kind::damaged, path.string() + ": damaged record: implausible sizes");
  }
}

}  // namespace hpcmon::store
