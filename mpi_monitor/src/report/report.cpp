// libhpcmon_mpi_report.so: the record writer of the MPI preload, dlopen'ed by rank 0 at
// MPI_Finalize (and by a rank calling MPI_Abort). It turns the gathered summaries into the
// job record (hdf5_store) under its key and path. Nothing it does may reach the program:
// every exception stops here and becomes one line for the preload to print.
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "hpcmon/record.hpp"
#include "hpcmon/store.hpp"
#include "hpcmon/trace.hpp"
#include "record_key.hpp"
#include "report_api.hpp"

namespace hpcmon::mpi {
namespace {

void copy(char* dst, std::size_t cap, const std::string& src) { std::snprintf(dst, cap, "%s", src.c_str()); }

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!raw.empty() && raw.back() == '\0') raw.pop_back();
  std::replace(raw.begin(), raw.end(), '\0', ' ');
  return raw;
}

std::string user_name() {
  if (passwd* pw = getpwuid(getuid())) return pw->pw_name;
  return std::to_string(getuid());
}

// One rank's sample series (docs/live-table.md): every metric at the sampler's instants.
void add_rank_series(record::JobRecord& rec, const RankSummary& r, const SeriesSummary* points, long n) {
  if (n <= 0) return;
  const std::string owner = std::to_string(r.rank);
  auto add = [&](const std::string& metric, const char* unit, const std::string& source, auto value) {
    record::Series s;
    s.owner_kind = "rank";
    s.owner = owner;
    s.metric = metric;
    s.unit = unit;
    s.source = source;
    for (long i = 0; i < n; ++i) {
      s.t_ns.push_back(points[i].t_ns);
      s.values.push_back(value(points[i]));
    }
    rec.series.push_back(std::move(s));
  };
  add("rss", "B", "proc", [](const SeriesSummary& p) { return double(p.rss_bytes); });
  add("mpi_calls", "1", "mpi", [](const SeriesSummary& p) { return double(p.mpi_calls); });
  add("mpi_time", "s", "mpi", [](const SeriesSummary& p) { return double(p.mpi_ns) * 1e-9; });
  add("cpu_user", "s", "proc", [](const SeriesSummary& p) { return double(p.user_cpu_ns) * 1e-9; });
  add("cpu_sys", "s", "proc", [](const SeriesSummary& p) { return double(p.sys_cpu_ns) * 1e-9; });
  const int counters = std::min(r.series_counter_count, int(live::format::kCounterSlots));
  for (int c = 0; c < counters; ++c) {
    const std::string name(r.series_counter_names[c], strnlen(r.series_counter_names[c], live::format::kCounterNameLen));
    add(name, "1", r.counter_source, [c](const SeriesSummary& p) { return p.counters[c]; });
  }
}

record::JobRecord build_record(const GatheredJob& g) {
  record::JobRecord rec;
  rec.has_mpi = true;
  record::JobInfo& job = rec.job;
  job.key = record_key(g.ranks[0].hostname, g.start_ns, g.ranks[0].pid);
  job.user = user_name();
  job.job_name = env("SLURM_JOB_NAME");
  job.account = env("SLURM_JOB_ACCOUNT");
  job.partition = env("SLURM_JOB_PARTITION");
  job.rank_count = std::uint32_t(g.world_size);
  job.command_line = command_line();
  job.start_ns = g.start_ns;
  job.end_ns = g.end_ns;
  job.partial = g.partial;
  job.partial_reason = g.partial_reason ? g.partial_reason : "";
  job.counter_source = g.ranks[0].counter_source;
  job.counter_quality = g.ranks[0].counter_quality[0] ? g.ranks[0].counter_quality : "unavailable";
  job.counter_note = g.ranks[0].counter_note;  // rank 0's reason: every rank runs the same configuration

  std::set<std::string> nodes;
  for (int i = 0; i < g.rank_count; ++i) nodes.insert(g.ranks[i].node);
  job.node_count = std::uint32_t(nodes.size());
  job.node_list = env("SLURM_JOB_NODELIST");
  if (job.node_list.empty())
    for (const std::string& n : nodes) job.node_list += (job.node_list.empty() ? "" : ",") + n;

  for (int i = 0; i < g.ranks[0].counter_count; ++i) rec.counter_names.push_back(g.ranks[0].counter_names[i]);

  // Worlds reached through intercommunicators, numbered in the order ranks report them.
  std::map<std::uint64_t, std::uint32_t> world_number{{g.ranks[0].world_uids[0], 0}};
  long fn_at = 0, tr_at = 0, se_at = 0;
  for (int i = 0; i < g.rank_count; ++i) {
    const RankSummary& r = g.ranks[i];
    record::RankRow row;
    row.rank = r.rank;
    row.node = r.node;
    row.pid = r.pid;
    row.cpuset = r.cpuset;
    row.numa_node = r.numa_node;
    row.wall_s = r.wall_s;
    row.user_cpu_s = r.user_cpu_s;
    row.sys_cpu_s = r.sys_cpu_s;
    row.mpi_s = r.mpi_s;
    row.rss_hwm_bytes = r.rss_hwm_bytes;
    row.clock_offset_ns = r.clock_offset_final_ns;
    row.clock_offset_init_ns = r.clock_offset_init_ns;
    row.clock_offset_final_ns = r.clock_offset_final_ns;
    row.clock_rtt_init_ns = r.clock_rtt_init_ns;
    row.clock_rtt_final_ns = r.clock_rtt_final_ns;
    row.clock_drift_ns_per_s = r.clock_drift_ns_per_s;
    row.clock_source = std::string(r.clock_source, strnlen(r.clock_source, sizeof r.clock_source));
    for (const std::string& name : rec.counter_names) {
      double v = 0;
      for (int c = 0; c < r.counter_count; ++c)
        if (name == r.counter_names[c]) v = r.counters[c];
      row.counters.push_back(v);
    }
    rec.ranks.push_back(row);
    rec.mpi_table_overflows += r.overflows;

    for (int k = 0; k < r.function_rows && fn_at < g.function_count; ++k, ++fn_at) {
      const FunctionSummary& f = g.functions[fn_at];
      record::MpiFunctionRow m;
      m.rank = r.rank;
      m.function = f.function >= 0 && f.function < g.function_name_count ? g.function_names[f.function] : "?";
      m.calls = f.calls;
      m.bytes = f.bytes;
      m.errors = f.errors;
      m.total_s = f.total_s;
      m.min_s = f.min_s;
      m.max_s = f.max_s;
      std::copy(std::begin(f.hist), std::end(f.hist), m.size_hist.begin());
      rec.mpi.push_back(m);
    }
    for (int k = 0; k < r.traffic_rows && tr_at < g.traffic_count; ++k, ++tr_at) {
      const TrafficSummary& t = g.traffic[tr_at];
      std::uint64_t uid = t.world_index < std::uint32_t(kWorlds) ? r.world_uids[t.world_index] : 0;
      auto [it, added] = world_number.emplace(uid, std::uint32_t(world_number.size()));
      record::TrafficRow row;
      row.src = r.rank;
      row.dst_world = it->second;
      row.dst = t.dst;
      row.messages = t.messages;
      row.bytes = t.bytes;
      rec.traffic.push_back(row);
    }
    const long points = std::min<long>(std::max(r.series_rows, 0), g.series_count - se_at);
    add_rank_series(rec, r, g.series + se_at, points);
    se_at += points;
  }
  rec.mpi_table_overflows += g.untracked_calls;
  return rec;
}

constexpr std::uint32_t kMaxRuns = 10000;

// The ranks' trace chunks, pulled through the preload (GatheredJob::trace_next) while the
// record is written: one chunk in memory at a time.
class GatheredTrace : public store::TraceSource {
 public:
  explicit GatheredTrace(const GatheredJob& g) : g_(g), wire_(kTraceChunkEvents) {}
  std::vector<std::string> function_names() const override {
    return std::vector<std::string>(g_.function_names, g_.function_names + g_.function_name_count);
  }
  bool next(std::vector<record::TraceEvent>& events) override {
    events.clear();
    TraceChunkHeader h{};
    if (!g_.trace_next(g_.trace, &h, wire_.data())) return false;
    auto& r = ranks_[h.rank];
    r.rank = h.rank;
    r.recorded = h.recorded;
    r.dropped = h.dropped;
    r.capacity = h.capacity;
    for (int i = 0; i < h.count; ++i) {
      const TraceWireEvent& w = wire_[std::size_t(i)];
      record::TraceEvent e;
      e.rank = h.rank;
      e.thread = w.thread;
      e.function = w.fn;
      e.peer = w.peer;
      e.tag = w.tag;
      e.comm = w.comm;
      e.bytes = w.bytes;
      e.start_ns = w.start_ns;
      e.end_ns = w.end_ns;
      events.push_back(e);
    }
    return true;
  }
  std::vector<record::TraceRank> ranks() const override {
    std::vector<record::TraceRank> out;
    for (const auto& [rank, r] : ranks_) out.push_back(r);
    return out;
  }

 private:
  const GatheredJob& g_;
  std::vector<TraceWireEvent> wire_;
  std::map<std::int32_t, record::TraceRank> ranks_;
};

bool write_record(const GatheredJob* g, char* result, std::size_t cap) {
  try {
    if (!g->record_dir || !*g->record_dir) {
      copy(result, cap, "no record directory configured (hpc.record_dir)");
      return false;
    }
    record::JobRecord rec = build_record(*g);
    const std::string user = rec.job.user;
    std::unique_ptr<GatheredTrace> trace = g->trace && g->trace_next ? std::make_unique<GatheredTrace>(*g) : nullptr;
    // Never replace: two runs of one step (or a rank in MPI_Abort racing rank 0) that pick
    // the same run number settle it by the atomic link, the loser takes the next number.
    for (std::uint32_t run = 0; run < kMaxRuns; ++run) {
      rec.job.key.run = run;
      const std::filesystem::path path = store::record_path(g->record_dir, user, g->start_ns, rec.job.key);
      // A trace can be pulled once: skip the run numbers already taken before writing.
      std::error_code ec;
      if (trace && std::filesystem::exists(path, ec)) continue;
      if (store::write_record_if_absent(path, rec, trace.get())) {
        copy(result, cap, path.string());
        return true;
      }
    }
    copy(result, cap, "every run number of this step is taken");
    return false;
  } catch (const std::exception& e) {
    copy(result, cap, e.what());
  } catch (...) {
    copy(result, cap, "unexpected error while writing the record");
  }
  return false;
}

const ReportApi kApi = {kReportAbi, nullptr, nullptr, nullptr, nullptr, write_record};

}  // namespace
}  // namespace hpcmon::mpi

extern "C" __attribute__((visibility("default"))) const hpcmon::mpi::ReportApi* hpcmon_mpi_report_api() {
  return &hpcmon::mpi::kApi;
}
