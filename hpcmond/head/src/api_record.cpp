// GET /api/v1/jobs/{id}/record (api_record.hpp): the job as /api/v1/jobs/{id} answers it, each
// step with its record's content, bounded so a 4096-rank job still answers in one small reply.
#include "hpcmon/head/api_record.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <numeric>
#include <set>

#include "hpcmon/head/api_trace.hpp"
#include "hpcmon/head/params.hpp"
#include "hpcmon/store.hpp"

namespace hpcmon::head {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxRanks = 4096;          // rank rows answered
constexpr std::size_t kMaxRankFunctions = 12;    // functions broken down per rank
constexpr std::size_t kMaxDenseTraffic = 256;    // ranks of a dense traffic matrix
constexpr std::size_t kMaxTrafficRows = 4096;    // coordinate rows otherwise, largest first
constexpr std::size_t kMaxSeries = 256;
constexpr std::size_t kMaxSeriesPoints = 512;
constexpr std::size_t kCachedRecords = 16;
constexpr const char* kSuffix = "/record";

json nullable_time(std::int64_t ns) { return ns ? json(format_time(ns)) : json(nullptr); }

json job_part(const record::JobInfo& job) {
  return {{"name", job.job_name},
          {"account", job.account},
          {"partition", job.partition},
          {"node_list", job.node_list},
          {"node_count", job.node_count},
          {"rank_count", job.rank_count},
          {"command_line", job.command_line},
          {"allocation",
           {{"cores", job.allocation.cores},
            {"memory_bytes", job.allocation.memory_bytes},
            {"time_limit_s", job.allocation.time_limit_s}}},
          {"start", nullable_time(job.start_ns)},
          {"end", nullable_time(job.end_ns)},
          {"exit_status", job.exit_status_known ? json(job.exit_status) : json(nullptr)},
          {"counter_source", job.counter_source},
          {"counter_quality", job.counter_quality},
          {"counter_note", job.counter_note},
          {"partial", job.partial},
          {"partial_reason", job.partial_reason}};
}

json summary_part(const store::Summary& s) {
  json metrics = json::array();
  for (const auto& m : s.metrics)
    metrics.push_back({{"name", m.name}, {"unit", m.unit}, {"min", m.min}, {"mean", m.mean},
                       {"max", m.max}, {"imbalance", m.imbalance}, {"min_rank", m.min_rank},
                       {"max_rank", m.max_rank}});
  json functions = json::array();
  for (const auto& f : s.functions)
    functions.push_back({{"function", f.function}, {"calls", f.calls}, {"bytes", f.bytes},
                         {"errors", f.errors}, {"total_s", f.total_s},
                         {"fraction_of_mpi", f.fraction_of_mpi}, {"max_rank_s", f.max_rank_s}});
  return {{"ranks", s.ranks},
          {"wall_s", s.wall_s},
          {"mpi_fraction", s.mpi_fraction},
          {"cpu_used_s", s.cpu_used_s},
          {"cpu_available_s", s.cpu_available_s},
          {"cpu_efficiency", s.cpu_efficiency},
          {"mem_hwm_bytes", s.mem_hwm_bytes},
          {"mem_requested_bytes", s.mem_requested_bytes},
          {"mem_efficiency", s.mem_efficiency},
          {"metrics", metrics},
          {"functions", functions},
          {"warnings", s.warnings}};
}

json ranks_part(const record::JobRecord& rec) {
  json ranks = json::array();
  for (std::size_t i = 0; i < rec.ranks.size() && i < kMaxRanks; ++i) {
    const auto& r = rec.ranks[i];
    ranks.push_back({{"rank", r.rank}, {"node", r.node}, {"cpuset", r.cpuset}, {"numa_node", r.numa_node},
                     {"wall_s", r.wall_s}, {"user_cpu_s", r.user_cpu_s}, {"sys_cpu_s", r.sys_cpu_s},
                     {"mpi_s", r.mpi_s}, {"mpi_fraction", r.wall_s > 0 ? r.mpi_s / r.wall_s : 0.0},
                     {"rss_hwm_bytes", r.rss_hwm_bytes}, {"counters", r.counters}});
  }
  return ranks;
}

// Time and calls of the largest functions per rank, as columns: functions x ranks.
json mpi_by_rank_part(const record::JobRecord& rec, const store::Summary& s) {
  std::vector<std::string> functions;
  for (std::size_t i = 0; i < s.functions.size() && i < kMaxRankFunctions; ++i)
    functions.push_back(s.functions[i].function);
  std::vector<std::int32_t> ranks;
  for (std::size_t i = 0; i < rec.ranks.size() && i < kMaxRanks; ++i) ranks.push_back(rec.ranks[i].rank);
  std::map<std::int32_t, std::size_t> column;
  for (std::size_t i = 0; i < ranks.size(); ++i) column[ranks[i]] = i;
  std::map<std::string, std::size_t> row;
  for (std::size_t i = 0; i < functions.size(); ++i) row[functions[i]] = i;
  std::vector<std::vector<double>> seconds(functions.size(), std::vector<double>(ranks.size(), 0.0));
  std::vector<std::vector<std::uint64_t>> calls(functions.size(), std::vector<std::uint64_t>(ranks.size(), 0));
  for (const auto& m : rec.mpi) {
    auto f = row.find(m.function);
    auto r = column.find(m.rank);
    if (f == row.end() || r == column.end()) continue;
    seconds[f->second][r->second] += m.total_s;
    calls[f->second][r->second] += m.calls;
  }
  return {{"functions", functions}, {"ranks", ranks}, {"total_s", seconds}, {"calls", calls}};
}

// log2 bins summed over ranks, per function and in total (record.hpp, kSizeBins).
json histogram_part(const record::JobRecord& rec) {
  std::map<std::string, std::array<std::uint64_t, record::kSizeBins>> by_function;
  std::array<std::uint64_t, record::kSizeBins> total{};
  for (const auto& m : rec.mpi) {
    auto& bins = by_function[m.function];
    for (int b = 0; b < record::kSizeBins; ++b) {
      bins[static_cast<std::size_t>(b)] += m.size_hist[static_cast<std::size_t>(b)];
      total[static_cast<std::size_t>(b)] += m.size_hist[static_cast<std::size_t>(b)];
    }
  }
  json functions = json::object();
  for (const auto& [name, bins] : by_function)
    if (std::any_of(bins.begin(), bins.end(), [](std::uint64_t n) { return n != 0; })) functions[name] = bins;
  // Bin k holds sizes in [lower[k], lower[k+1]); bin 0 is 0-byte calls.
  json lower = json::array();
  for (int b = 0; b < record::kSizeBins; ++b) lower.push_back(b == 0 ? 0ULL : 1ULL << (b - 1));
  return {{"bin_lower_bytes", lower}, {"total", total}, {"by_function", functions}};
}

json traffic_part(const record::JobRecord& rec) {
  std::int32_t world = 0;
  for (const auto& r : rec.ranks) world = std::max(world, r.rank + 1);
  for (const auto& t : rec.traffic)
    if (t.dst_world == 0) world = std::max({world, t.src + 1, t.dst + 1});
  json out = {{"world_ranks", world}};
  if (world > 0 && static_cast<std::size_t>(world) <= kMaxDenseTraffic) {
    const auto n = static_cast<std::size_t>(world);
    std::vector<std::vector<std::uint64_t>> bytes(n, std::vector<std::uint64_t>(n, 0)), messages = bytes;
    for (const auto& t : rec.traffic) {
      if (t.dst_world != 0 || t.src < 0 || t.dst < 0) continue;
      bytes[static_cast<std::size_t>(t.src)][static_cast<std::size_t>(t.dst)] += t.bytes;
      messages[static_cast<std::size_t>(t.src)][static_cast<std::size_t>(t.dst)] += t.messages;
    }
    out["dense"] = {{"bytes", bytes}, {"messages", messages}};
  }
  std::vector<const record::TrafficRow*> rows;
  for (const auto& t : rec.traffic)
    if (!out.contains("dense") || t.dst_world != 0) rows.push_back(&t);
  std::sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return a->bytes > b->bytes; });
  json listed = json::array();
  for (std::size_t i = 0; i < rows.size() && i < kMaxTrafficRows; ++i)
    listed.push_back({{"src", rows[i]->src}, {"dst_world", rows[i]->dst_world}, {"dst", rows[i]->dst},
                      {"messages", rows[i]->messages}, {"bytes", rows[i]->bytes}});
  out["rows"] = listed;
  out["rows_total"] = rows.size();
  return out;
}

// Every series thinned to at most kMaxSeriesPoints evenly spaced samples (the last one kept).
json series_part(const record::JobRecord& rec) {
  json out = json::array();
  for (std::size_t i = 0; i < rec.series.size() && i < kMaxSeries; ++i) {
    const auto& s = rec.series[i];
    const std::size_t n = std::min(s.t_ns.size(), s.values.size());
    const std::size_t stride = n > kMaxSeriesPoints ? (n + kMaxSeriesPoints - 1) / kMaxSeriesPoints : 1;
    json t_ms = json::array(), values = json::array();
    for (std::size_t k = 0; k < n; k += stride) {
      const std::size_t at = (k + stride >= n) ? n - 1 : k;
      t_ms.push_back(static_cast<double>(s.t_ns[at]) / 1e6);
      values.push_back(s.values[at]);
    }
    out.push_back({{"owner_kind", s.owner_kind}, {"owner", s.owner}, {"metric", s.metric}, {"unit", s.unit},
                   {"source", s.source}, {"samples", n}, {"t_ms", t_ms}, {"values", values}});
  }
  return out;
}

json nodes_part(const record::JobRecord& rec) {
  json out = json::array();
  for (const auto& n : rec.nodes)
    out.push_back({{"node", n.node}, {"hostname", n.hostname}, {"cpus", n.cpus},
                   {"mem_total_bytes", n.mem_total_bytes}, {"cpu_util_mean", n.cpu_util_mean},
                   {"cpu_util_max", n.cpu_util_max}, {"mem_used_max_bytes", n.mem_used_max_bytes},
                   {"load1_max", n.load1_max}, {"disk_read_bytes", n.disk_read_bytes},
                   {"disk_write_bytes", n.disk_write_bytes}, {"net_rx_bytes", n.net_rx_bytes},
                   {"net_tx_bytes", n.net_tx_bytes}});
  return out;
}

json record_content(const record::JobRecord& rec) {
  const store::Summary summary = store::summarize(rec);
  std::vector<std::string> warnings = summary.warnings;
  for (const auto& problem : store::check_consistency(rec)) warnings.push_back("record: " + problem);
  if (rec.mpi_table_overflows)
    warnings.push_back(std::to_string(rec.mpi_table_overflows) + " MPI calls did not fit the per-rank tables");
  return {{"job", job_part(rec.job)},
          {"has_mpi", rec.has_mpi},
          {"summary", summary_part(summary)},
          {"counter_names", rec.counter_names},
          {"ranks", ranks_part(rec)},
          {"ranks_total", rec.ranks.size()},
          {"mpi_by_rank", mpi_by_rank_part(rec, summary)},
          {"size_histogram", histogram_part(rec)},
          {"traffic", traffic_part(rec)},
          {"series", series_part(rec)},
          {"series_total", rec.series.size()},
          {"nodes", nodes_part(rec)},
          {"warnings", warnings}};
}

// Rendered records by path, kept while the file's size and time are unchanged: the job page
// of a running job polls, and records never change after their rename (merges replace them).
struct RecordCache {
  struct Entry {
    std::int64_t mtime_ns = 0;
    std::int64_t size = 0;
    std::uint64_t used = 0;
    std::shared_ptr<const json> content;
  };
  std::mutex mutex;
  std::map<std::string, Entry> entries;
  std::uint64_t clock = 0;
};

RecordCache& cache() {
  static RecordCache instance;
  return instance;
}

// The record at `path` through one descriptor opened without following symlinks.
std::shared_ptr<const json> load(const std::string& path, std::string& problem) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    problem = "record not readable";
    return nullptr;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info{};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    problem = "record not a regular file";
    return nullptr;
  }
  const std::int64_t mtime = info.st_mtim.tv_sec * 1000000000LL + info.st_mtim.tv_nsec;
  RecordCache& c = cache();
  {
    std::lock_guard lock(c.mutex);
    auto it = c.entries.find(path);
    if (it != c.entries.end() && it->second.mtime_ns == mtime && it->second.size == info.st_size) {
      it->second.used = ++c.clock;
      return it->second.content;
    }
  }
  std::shared_ptr<const json> content;
  try {
    content = std::make_shared<const json>(
        record_content(store::read_record("/proc/self/fd/" + std::to_string(fd))));
  } catch (const store::RecordError& error) {
    problem = std::string(store::kind_name(error.kind())) + ": " + error.what();
    return nullptr;
  }
  std::lock_guard lock(c.mutex);
  if (c.entries.size() >= kCachedRecords) {
    auto oldest = std::min_element(c.entries.begin(), c.entries.end(),
                                   [](const auto& a, const auto& b) { return a.second.used < b.second.used; });
    c.entries.erase(oldest);
  }
  c.entries[path] = {mtime, info.st_size, ++c.clock, content};
  return content;
}


}  // namespace

const StepSummary* find_step(const std::vector<JobSummary>& jobs, const json& job, const json& step) {
  for (const auto& candidate : jobs) {
    if (candidate.cluster != job.value("cluster", "") || candidate.job != job.value("job", "")) continue;
    if (job.contains("submit") && job["submit"].is_string() && candidate.submit_ns &&
        format_time(candidate.submit_ns) != job["submit"].get<std::string>())
      continue;
    for (const auto& s : candidate.steps)
      if (s.key.step == step.value("step", "") && s.key.restart_count == step.value("restart_count", 0u) &&
          s.key.run == step.value("run", 0u))
        return &s;
  }
  return nullptr;
}

bool names_job_subresource(const std::string& path_tail, std::string_view suffix) {
  return path_tail.size() > suffix.size() && std::string_view(path_tail).ends_with(suffix);
}

Outcome job_of_subresource(const Services& services, const Request& request, JobLookup lookup, std::string_view suffix) {
  Request inner = request;
  inner.path_tail = request.path_tail.substr(0, request.path_tail.size() - suffix.size());
  return lookup(services, inner);
}

bool is_record_request(const std::string& path_tail) { return names_job_subresource(path_tail, kSuffix); }

Outcome job_record(const Services& services, const Request& request, JobLookup lookup) {
  Outcome found = job_of_subresource(services, request, lookup, kSuffix);
  auto* job = std::get_if<json>(&found);
  if (!job) return found;
  const auto jobs = services.records.jobs();
  if (job->contains("steps") && (*job)["steps"].is_array()) {
    for (auto& step : (*job)["steps"]) {
      const StepSummary* summary = find_step(*jobs, *job, step);
      std::string problem = "record not in the index";
      std::shared_ptr<const json> content = summary ? load(summary->path, problem) : nullptr;
      if (content) step["record"] = *content;
      else step["record_error"] = problem;
      step["traced"] = summary && step_has_trace(*summary);
    }
  } else {
    (*job)["steps"] = json::array();  // a running or pending job that has no record yet
  }
  return found;
}

}  // namespace hpcmon::head
