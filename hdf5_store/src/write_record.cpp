// Writer: lays a JobRecord out as described in docs/job-record.md, atomically.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>

#include "diagnosis_group.hpp"
#include "format.hpp"
#include "hpcmon/store.hpp"
#include "trace_store.hpp"
#include "write_parts.hpp"

namespace hpcmon::store {
namespace {

using record::JobRecord;
using table::Rows;

// Threads that deflate series chunks, the writing thread included (docs/job-record.md).
constexpr unsigned kWriteThreads = 2;

void write_root_attributes(hid_t file, const JobRecord& rec) {
  const auto& j = rec.job;
  h5::write_attr_u32(file, "format_major", kFormatMajor);
  h5::write_attr_u32(file, "format_minor", kFormatMinor);
  h5::write_attr_str(file, "hpcmon_version", HPCMON_VERSION);
  h5::write_attr_str(file, "cluster", j.key.cluster);
  h5::write_attr_str(file, "job", j.key.job);
  h5::write_attr_str(file, "step", j.key.step);
  h5::write_attr_u32(file, "restart_count", j.key.restart_count);
  h5::write_attr_u32(file, "run", j.key.run);
  h5::write_attr_str(file, "job_name", j.job_name);
  h5::write_attr_str(file, "user", j.user);
  h5::write_attr_str(file, "account", j.account);
  h5::write_attr_str(file, "partition", j.partition);
  h5::write_attr_str(file, "node_list", j.node_list);
  h5::write_attr_u32(file, "node_count", j.node_count);
  h5::write_attr_u32(file, "rank_count", j.rank_count);
  h5::write_attr_u32(file, "alloc_cores", j.allocation.cores);
  h5::write_attr_u64(file, "alloc_memory_bytes", j.allocation.memory_bytes);
  h5::write_attr_u64(file, "alloc_time_limit_s", j.allocation.time_limit_s);
  h5::write_attr_str(file, "command_line", j.command_line);
  h5::write_attr_i64(file, "start_ns", j.start_ns);
  h5::write_attr_i64(file, "end_ns", j.end_ns);
  h5::write_attr_u8(file, "exit_status_known", j.exit_status_known ? 1 : 0);
  h5::write_attr_i32(file, "exit_status", j.exit_status);
  h5::write_attr_str(file, "counter_source", j.counter_source);
  h5::write_attr_str(file, "counter_quality", j.counter_quality);
  if (!j.counter_note.empty()) h5::write_attr_str(file, "counter_note", j.counter_note);  // optional
  h5::write_attr_u8(file, "partial", j.partial ? 1 : 0);
  h5::write_attr_str(file, "partial_reason", j.partial_reason);
  h5::write_attr_u8(file, "has_mpi", rec.has_mpi ? 1 : 0);
  h5::write_attr_u64(file, "mpi_table_overflows", rec.mpi_table_overflows);
}

void write_ranks(hid_t file, const JobRecord& rec) {
  using namespace format;
  Rows rows(rank_schema(), rec.ranks.size());
  const std::size_t nc = rec.counter_names.size();
  std::vector<double> counters(rec.ranks.size() * nc, std::numeric_limits<double>::quiet_NaN());
  for (std::size_t i = 0; i < rec.ranks.size(); ++i) {
    const auto& r = rec.ranks[i];
    rows.set<std::int32_t>(i, rank_col::rank, r.rank);
    rows.set_str(i, rank_col::node, r.node);
    rows.set<std::int64_t>(i, rank_col::pid, r.pid);
    rows.set_str(i, rank_col::cpuset, r.cpuset);
    rows.set<std::int32_t>(i, rank_col::numa_node, r.numa_node);
    rows.set<double>(i, rank_col::wall_s, r.wall_s);
    rows.set<double>(i, rank_col::user_cpu_s, r.user_cpu_s);
    rows.set<double>(i, rank_col::sys_cpu_s, r.sys_cpu_s);
    rows.set<double>(i, rank_col::mpi_s, r.mpi_s);
    rows.set<std::uint64_t>(i, rank_col::rss_hwm_bytes, r.rss_hwm_bytes);
    rows.set<std::int64_t>(i, rank_col::clock_offset_ns, r.clock_offset_ns);
    rows.set<std::int64_t>(i, rank_col::clock_offset_init_ns, r.clock_offset_init_ns);
    rows.set<std::int64_t>(i, rank_col::clock_offset_final_ns, r.clock_offset_final_ns);
    rows.set<std::int64_t>(i, rank_col::clock_rtt_init_ns, r.clock_rtt_init_ns);
    rows.set<std::int64_t>(i, rank_col::clock_rtt_final_ns, r.clock_rtt_final_ns);
    rows.set<double>(i, rank_col::clock_drift_ns_per_s, r.clock_drift_ns_per_s);
    rows.set_str(i, rank_col::clock_source, r.clock_source);
    for (std::size_t c = 0; c < nc && c < r.counters.size(); ++c) counters[i * nc + c] = r.counters[c];
  }
  rows.write(file, kRanks);
  hsize_t dims[2] = {rec.ranks.size(), nc};
  table::write_array(file, kRankCounters, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, counters.data());
  h5::Id dset = h5::check(H5Dopen2(file, kRankCounters, H5P_DEFAULT), kRankCounters);
  h5::write_attr_str_list(dset, "names", rec.counter_names);
  h5::write_attr_str(dset, "source", rec.job.counter_source);
}

void write_nodes(hid_t file, const JobRecord& rec) {
  using namespace format;
  Rows rows(node_schema(), rec.nodes.size());
  for (std::size_t i = 0; i < rec.nodes.size(); ++i) {
    const auto& n = rec.nodes[i];
    rows.set_str(i, node_col::node, n.node);
    rows.set_str(i, node_col::hostname, n.hostname);
    rows.set_str(i, node_col::fqdn, n.fqdn);
    rows.set<std::uint32_t>(i, node_col::cpus, n.cpus);
    rows.set<std::uint64_t>(i, node_col::mem_total_bytes, n.mem_total_bytes);
    rows.set<double>(i, node_col::cpu_util_mean, n.cpu_util_mean);
    rows.set<double>(i, node_col::cpu_util_max, n.cpu_util_max);
    rows.set<std::uint64_t>(i, node_col::mem_used_max_bytes, n.mem_used_max_bytes);
    rows.set<double>(i, node_col::load1_max, n.load1_max);
    rows.set<std::uint64_t>(i, node_col::disk_read_bytes, n.disk_read_bytes);
    rows.set<std::uint64_t>(i, node_col::disk_write_bytes, n.disk_write_bytes);
    rows.set<std::uint64_t>(i, node_col::net_rx_bytes, n.net_rx_bytes);
    rows.set<std::uint64_t>(i, node_col::net_tx_bytes, n.net_tx_bytes);
  }
  rows.write(file, kNodes);
}

void write_traffic(hid_t mpi, const JobRecord& rec) {
  using namespace format;
  h5::Id grp = h5::check(H5Gcreate2(mpi, kTraffic, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), kTraffic);
  std::int64_t n = rec.job.rank_count;
  bool dense = true;
  for (const auto& t : rec.traffic) {
    if (t.dst_world != 0 || t.src < 0 || t.dst < 0) dense = false;
    n = std::max(n, std::max<std::int64_t>(t.src, t.dst) + 1);
  }
  dense = dense && n > 0 && n <= kDenseTrafficMaxRanks;
  h5::write_attr_str(grp, "layout", dense ? "dense" : "coo");
  if (dense) {
    const auto size = static_cast<std::size_t>(n);
    std::vector<std::uint64_t> messages(size * size, 0), bytes(size * size, 0);
    for (const auto& t : rec.traffic) {
      messages[static_cast<std::size_t>(t.src) * size + static_cast<std::size_t>(t.dst)] += t.messages;
      bytes[static_cast<std::size_t>(t.src) * size + static_cast<std::size_t>(t.dst)] += t.bytes;
    }
    hsize_t dims[2] = {size, size};
    table::write_array(grp, kTrafficDenseMessages, H5T_STD_U64LE, H5T_NATIVE_UINT64, 2, dims, messages.data());
    table::write_array(grp, kTrafficDenseBytes, H5T_STD_U64LE, H5T_NATIVE_UINT64, 2, dims, bytes.data());
    return;
  }
  Rows rows(traffic_schema(), rec.traffic.size());
  for (std::size_t i = 0; i < rec.traffic.size(); ++i) {
    const auto& t = rec.traffic[i];
    rows.set<std::int32_t>(i, traffic_col::src, t.src);
    rows.set<std::uint32_t>(i, traffic_col::dst_world, t.dst_world);
    rows.set<std::int32_t>(i, traffic_col::dst, t.dst);
    rows.set<std::uint64_t>(i, traffic_col::messages, t.messages);
    rows.set<std::uint64_t>(i, traffic_col::bytes, t.bytes);
  }
  rows.write(grp, kTrafficCoo);
}

void write_mpi(hid_t file, const JobRecord& rec) {
  using namespace format;
  h5::Id grp = h5::check(H5Gcreate2(file, kMpi, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), kMpi);
  std::vector<std::string> names;
  std::map<std::string, std::uint16_t> ids;
  Rows calls(call_schema(), rec.mpi.size());
  std::size_t nonzero_bins = 0;
  for (const auto& m : rec.mpi)
    for (auto c : m.size_hist) nonzero_bins += c != 0;
  Rows hist(hist_schema(), nonzero_bins);
  std::size_t h = 0;
  for (std::size_t i = 0; i < rec.mpi.size(); ++i) {
    const auto& m = rec.mpi[i];
    auto [it, added] = ids.emplace(m.function, static_cast<std::uint16_t>(names.size()));
    if (added) {
      if (names.size() > std::numeric_limits<std::uint16_t>::max()) h5::fail("too many MPI function names");
      names.push_back(m.function);
    }
    calls.set<std::int32_t>(i, call_col::rank, m.rank);
    calls.set<std::uint16_t>(i, call_col::function, it->second);
    calls.set<std::uint64_t>(i, call_col::calls, m.calls);
    calls.set<std::uint64_t>(i, call_col::bytes, m.bytes);
    calls.set<std::uint64_t>(i, call_col::errors, m.errors);
    calls.set<double>(i, call_col::total_s, m.total_s);
    calls.set<double>(i, call_col::min_s, m.min_s);
    calls.set<double>(i, call_col::max_s, m.max_s);
    for (std::size_t b = 0; b < m.size_hist.size(); ++b) {
      if (m.size_hist[b] == 0) continue;
      hist.set<std::uint32_t>(h, hist_col::row, static_cast<std::uint32_t>(i));
      hist.set<std::uint8_t>(h, hist_col::bin, static_cast<std::uint8_t>(b));
      hist.set<std::uint64_t>(h, hist_col::count, m.size_hist[b]);
      ++h;
    }
  }
  table::write_strings(grp, kMpiFunctionNames, names);
  calls.write(grp, kMpiCalls);
  hist.write(grp, kMpiSizeHist);
  h5::Id hist_dset = h5::check(H5Dopen2(grp, kMpiSizeHist, H5P_DEFAULT), kMpiSizeHist);
  h5::write_attr_u32(hist_dset, "bins", record::kSizeBins);
  write_traffic(grp, rec);
}

// Series go into two shared 1-D arrays; a series whose times equal the previous series'
// (one sampler tick reads several metrics) points at the same times.
void write_series(hid_t file, const JobRecord& rec) {
  using namespace format;
  h5::Id grp = h5::check(H5Gcreate2(file, kSeries, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), kSeries);
  Rows index(series_schema(), rec.series.size());
  std::size_t total = 0;
  for (const auto& s : rec.series) total += std::min(s.t_ns.size(), s.values.size());
  std::vector<std::int64_t> t_ns;
  std::vector<double> values;
  t_ns.reserve(total);
  values.reserve(total);
  std::size_t last_t_offset = 0, last_t_count = 0;
  bool have_last = false;
  for (std::size_t i = 0; i < rec.series.size(); ++i) {
    const auto& s = rec.series[i];
    const std::size_t count = std::min(s.t_ns.size(), s.values.size());
    const bool same_times = have_last && count == last_t_count &&
                            std::equal(s.t_ns.begin(), s.t_ns.begin() + static_cast<std::ptrdiff_t>(count),
                                       t_ns.begin() + static_cast<std::ptrdiff_t>(last_t_offset));
    if (!same_times) {
      last_t_offset = t_ns.size();
      last_t_count = count;
      have_last = true;
      t_ns.insert(t_ns.end(), s.t_ns.begin(), s.t_ns.begin() + static_cast<std::ptrdiff_t>(count));
    }
    index.set_str(i, series_col::owner_kind, s.owner_kind);
    index.set_str(i, series_col::owner, s.owner);
    index.set_str(i, series_col::metric, s.metric);
    index.set_str(i, series_col::unit, s.unit);
    index.set_str(i, series_col::source, s.source);
    index.set<std::uint64_t>(i, series_col::offset, values.size());
    index.set<std::uint64_t>(i, series_col::count, count);
    index.set<std::uint64_t>(i, series_col::t_offset, last_t_offset);
    values.insert(values.end(), s.values.begin(), s.values.begin() + static_cast<std::ptrdiff_t>(count));
  }
  index.write(grp, kSeriesIndex);
  table::write_array_1d_parallel(grp, kSeriesTime, H5T_STD_I64LE, sizeof(std::int64_t), t_ns.size(), t_ns.data(),
                                 kWriteThreads);
  table::write_array_1d_parallel(grp, kSeriesValues, H5T_IEEE_F64LE, sizeof(double), values.size(), values.data(),
                                 kWriteThreads);
  h5::Id t_dset = h5::check(H5Dopen2(grp, kSeriesTime, H5P_DEFAULT), kSeriesTime);
  h5::write_attr_str(t_dset, "unit", "ns since the Unix epoch (UTC)");
}

void write_file(const std::string& path, const JobRecord& rec, TraceSource* trace) {
  h5::Id fapl = h5::check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate");
  h5::disable_file_locking(fapl);
  h5::check_status(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V110), "H5Pset_libver_bounds");
  h5::check_status(H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG), "H5Pset_fclose_degree");
  h5::Id file = h5::check(H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl), "cannot create the file");
  write_root_attributes(file, rec);
  write_ranks(file, rec);
  write_nodes(file, rec);
  write_mpi(file, rec);
  write_series(file, rec);
  detail::write_summary(file, summarize(rec));
  detail::write_diagnosis(file, rec.diagnosis);
  if (trace) detail::write_trace(file, *trace);
  h5::check_status(H5Fflush(file, H5F_SCOPE_LOCAL), "H5Fflush");
  h5::check_status(H5Fclose(file.release()), "H5Fclose");
}

// mkdir -p with mode 0750 for the folders that do not exist yet.
void make_parents(const std::filesystem::path& dir) {
  std::error_code ec;
  if (dir.empty() || std::filesystem::exists(dir, ec) || ec) return;  // errors show at create time
  make_parents(dir.parent_path());
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST)
    throw RecordError(RecordError::Kind::write_failed,
                      dir.string() + ": cannot create folder: " + std::strerror(errno));
}

void fsync_path(const std::filesystem::path& p, int flags) {
  int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw RecordError(RecordError::Kind::write_failed, p.string() + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) throw RecordError(RecordError::Kind::write_failed, p.string() + ": fsync: " + std::strerror(err));
}

// Mode and fsync through one descriptor opened without following a symlink: a path-based
// chmod could be redirected by whoever else can write the folder.
void chmod_and_sync(const std::filesystem::path& tmp) {
  const int fd = ::open(tmp.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) throw RecordError(RecordError::Kind::write_failed, tmp.string() + ": " + std::strerror(errno));
  const char* failed = ::fchmod(fd, 0640) != 0 ? "fchmod" : ::fsync(fd) != 0 ? "fsync" : nullptr;
  const int err = errno;
  ::close(fd);
  if (failed) throw RecordError(RecordError::Kind::write_failed, tmp.string() + ": " + failed + ": " + std::strerror(err));
}

}  // namespace

namespace {

// Writes the record to a temporary beside `path`, then publishes it with `publish`
// (rename or link). Returns publish's verdict; the temporary never outlives the call.
using BeforePublish = std::function<void(const std::filesystem::path&)>;

template <class Publish>
bool write_then_publish(const std::filesystem::path& path, const record::JobRecord& rec, Publish publish,
                        TraceSource* trace = nullptr, const BeforePublish& before_publish = nullptr) {
  static std::atomic<unsigned> counter{0};
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  make_parents(dir);
  const auto tmp = dir / ("." + path.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                          std::to_string(counter.fetch_add(1)));
  try {
    {
      h5::QuietErrors quiet;
      try {
        write_file(tmp.string(), rec, trace);
      } catch (const h5::Failure& f) {
        throw RecordError(RecordError::Kind::write_failed, path.string() + ": cannot write record: " + f.what);
      }
    }
    if (before_publish) before_publish(tmp);
    chmod_and_sync(tmp);
    const bool published = publish(tmp);
    ::unlink(tmp.c_str());  // after a link, or a refused link; gone already after a rename
    if (published) fsync_path(dir, O_RDONLY | O_DIRECTORY);
    return published;
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

}  // namespace

void write_record(const std::filesystem::path& path, const record::JobRecord& rec) {
  write_record(path, rec, nullptr);
}

void write_record(const std::filesystem::path& path, const record::JobRecord& rec,
                  const BeforePublish& before_publish) {
  write_then_publish(
      path, rec,
      [&](const std::filesystem::path& tmp) {
        if (::rename(tmp.c_str(), path.c_str()) != 0)
          throw RecordError(RecordError::Kind::write_failed, path.string() + ": rename: " + std::strerror(errno));
        return true;
      },
      nullptr, before_publish);
}

bool write_record_if_absent(const std::filesystem::path& path, const record::JobRecord& rec) {
  return write_record_if_absent(path, rec, nullptr);
}

bool write_record_if_absent(const std::filesystem::path& path, const record::JobRecord& rec, TraceSource* trace) {
  return write_then_publish(path, rec, [&](const std::filesystem::path& tmp) {
    if (::link(tmp.c_str(), path.c_str()) == 0) return true;
    if (errno == EEXIST) return false;
    throw RecordError(RecordError::Kind::write_failed, path.string() + ": link: " + std::strerror(errno));
  }, trace);
}

}  // namespace hpcmon::store
