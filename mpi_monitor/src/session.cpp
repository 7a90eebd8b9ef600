// One MPI session of a rank: what happens at MPI_Init (version check, configuration from
// rank 0, clock offsets, counters) and at MPI_Finalize (gather to rank 0, record, one line).
// Everything here calls PMPI_* through g_mpi, on a duplicate of MPI_COMM_WORLD, so none of
// it is counted and none of it reaches another preloaded tool.
#include <dlfcn.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "binding.hpp"
#include "clock.hpp"
#include "comm_cache.hpp"
#include "lifecycle.hpp"
#include "live_table_writer.hpp"
#include "mpi_api.hpp"
#include "rank_summary.hpp"
#include "record_key.hpp"
#include "report_api.hpp"
#include "runtime.hpp"
#include "sampler_thread.hpp"
#include "summary.hpp"
#include "trace.hpp"

namespace hpcmon::mpi {

bool g_active = false;

namespace {

// What rank 0 decides at MPI_Init and broadcasts.
struct InitBlock {
  std::int32_t enabled;
  std::int32_t pad;
  std::uint64_t world_uid;
  std::int64_t start_ns;
  char events[1024];
  char record_dir[1024];
  // Live table and sampling thread (docs/live-table.md).
  std::int32_t live;  // 0: HPCMON_MPI_LIVE=0
  std::uint32_t series_cap;
  std::int64_t interval_ns;
  char job_key[128];
  char step[32];
  std::uint64_t trace_events;  // 0: no tracing, else each rank's trace capacity (docs/tracing.md)
};

struct Session {
  const ReportApi* report = nullptr;  // libhpcmon_mpi_counters.so: the rank's counters
  const ReportApi* writer = nullptr;  // libhpcmon_mpi_report.so: loaded by the writing rank only
  char report_problem[600] = {};
  char config_problem[512] = {};
  void* counters = nullptr;
  MPI_Comm comm = nullptr;  // our duplicate of MPI_COMM_WORLD
  int rank = 0, size = 1;
  RankClock clock;         // ticks, realtime anchor and the test skew (clock.hpp)
  std::uint64_t tsc0 = 0;  // clock.tick0
  std::int64_t mono0 = 0, start_ns = 0;
  ClockOffset offset_init;
  bool trace = false;      // tracing was on for the job (every rank serves rank 0 at MPI_Finalize)
  rusage usage0{};
  char cpuset[kNameLen] = {};  // taken at MPI_Init: nothing topology-related runs at MPI_Finalize
  int numa_node = -1;
  char record_dir[1024] = {};
  int pcontrol_level = 1;
  bool finished = false;
  bool live = false;  // this rank keeps a live table
};

Session g_session;

void say(const char* fmt, const char* a = "", const char* b = "") {
  char line[1400];
  int n = std::snprintf(line, sizeof line - 1, fmt, a, b);
  if (n <= 0) return;
  if (n > int(sizeof line) - 2) n = int(sizeof line) - 2;
  line[n++] = '\n';
  (void)!write(2, line, static_cast<size_t>(n));
}

void copy(char* dst, std::size_t cap, const char* src) {
  std::snprintf(dst, cap, "%s", src ? src : "");
}

// Before MPI_COMM_WORLD can be asked: the launcher's rank variables.
bool launcher_says_rank0() {
  for (const char* v : {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"}) {
    if (const char* s = std::getenv(v)) return std::strcmp(s, "0") == 0;
  }
  return true;
}

// One of the preload's companion libraries, from the preload's own directory.
// With `handle`, the caller may dlclose it when done.
const ReportApi* load_companion(const char* file, char* problem, std::size_t cap, void** handle = nullptr) {
  Dl_info self{};
  if (!dladdr(reinterpret_cast<void*>(&session_start), &self) || !self.dli_fname) {
    copy(problem, cap, "cannot locate libhpcmon_mpi.so itself (dladdr)");
    return nullptr;
  }
  std::string dir = self.dli_fname;
  dir = dir.find('/') == std::string::npos ? "." : dir.substr(0, dir.rfind('/'));
  std::string lib = dir + "/" + file;
  void* h = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    std::snprintf(problem, cap, "cannot load %s", dlerror());
    return nullptr;
  }
  auto entry = reinterpret_cast<const ReportApi* (*)()>(dlsym(h, "hpcmon_mpi_report_api"));
  const ReportApi* api = entry ? entry() : nullptr;
  if (!api || api->abi != kReportAbi) {
    dlclose(h);
    std::snprintf(problem, cap, "%s is from another build", lib.c_str());
    return nullptr;
  }
  if (handle) *handle = h;
  return api;
}

MPI_Datatype bytes_type(std::size_t size) {
  MPI_Datatype t = nullptr;
  g_mpi.Type_contiguous(int(size), g_mpi.byte, &t);
  g_mpi.Type_commit(&t);
  return t;
}

template <class Row>
std::vector<Row> gather_rows(const Session& s, const std::vector<Row>& mine, const std::vector<int>& counts) {
  MPI_Datatype type = bytes_type(sizeof(Row));
  std::vector<int> displs;
  std::vector<Row> all;
  if (s.rank == 0) {
    long total = 0;
    for (int c : counts) {
      displs.push_back(int(total));
      total += c;
    }
    all.resize(std::size_t(total));
  }
  g_mpi.Gatherv(mine.data(), int(mine.size()), type, all.data(), counts.data(), displs.data(), type, 0, s.comm);
  g_mpi.Type_free(&type);
  return all;
}

// No more recording; the call that ends the session counts once (its time is the tool's).
void stop_recording(Fn last_call) {
  g_recording = false;
  g_session.finished = true;
  g_active = false;
  if (ThreadTables* t = thread_tables()) {
    FnStats& f = t->fn[last_call];
    row_open(f.seq);
    ++f.calls;
    ++f.hist[0];
    row_close(f.seq);
  }
}

// `final_` is the MPI_Finalize estimate, or the MPI_Init one again when there is none (MPI_Abort).
RankContext rank_context(Session& s, const ClockOffset& final_) {
  RankContext c;
  c.rank = s.rank;
  c.mono0 = s.mono0;
  c.usage0 = s.usage0;
  s.clock.calibrate();
  c.ns_per_tick = s.clock.ns_per_tick;
  c.offset_init_ns = s.offset_init.offset_ns;
  c.offset_final_ns = final_.offset_ns;
  c.rtt_init_ns = s.offset_init.rtt_ns;
  c.rtt_final_ns = final_.rtt_ns;
  c.drift_ns_per_s = clock_drift(s.offset_init, final_);
  std::memcpy(c.cpuset, s.cpuset, sizeof c.cpuset);
  c.numa_node = s.numa_node;
  c.counters_api = s.report;
  c.counters = s.counters;
  return c;
}

// The writing rank (rank 0, or a rank in MPI_Abort) loads the writer and prints one line.
void write(Session& s, const RankSummary* ranks, int rank_count, const std::vector<FunctionSummary>& functions,
           const std::vector<TrafficSummary>& traffic, const std::vector<SeriesSummary>& series, std::int64_t end_ns,
           const char* partial_reason, TracePuller* trace = nullptr) {
  s.writer = load_companion("libhpcmon_mpi_report.so", s.report_problem, sizeof s.report_problem);
  if (!s.writer) {
    say("hpcmon: no MPI record: %s", s.report_problem);
    return;
  }
  GatheredJob job{};
  job.ranks = ranks;
  job.rank_count = rank_count;
  job.world_size = s.size;
  job.functions = functions.data();
  job.function_count = long(functions.size());
  job.traffic = traffic.data();
  job.traffic_count = long(traffic.size());
  job.series = series.data();
  job.series_count = long(series.size());
  job.function_names = kFunctionNames;
  job.function_name_count = kFunctionCount;
  job.start_ns = s.start_ns;
  job.end_ns = end_ns;
  job.untracked_calls = g_untracked.load();
  job.partial = partial_reason != nullptr;
  job.partial_reason = partial_reason ? partial_reason : "";
  job.record_dir = s.record_dir;
  job.trace = trace;
  job.trace_next = trace ? trace_pull : nullptr;
  char result[1200] = {};
  if (!s.writer->write_record(&job, result, sizeof result)) {
    say("hpcmon: no MPI record: %s", result);
  } else if (partial_reason) {
    say("hpcmon: partial MPI record (%s) written to %s", partial_reason, result);
  } else if (s.config_problem[0]) {
    say("hpcmon: MPI record written to %s (config: %s)", result, s.config_problem);
  } else if (const char* quiet = std::getenv("HPCMON_MPI_QUIET"); !quiet || std::strcmp(quiet, "1") != 0) {
    say("hpcmon: MPI record written to %s", result);
  }
}

// Rank 0: what every rank needs for its live table and sampler.
void live_settings(InitBlock& block, const ReportConfig& cfg) {
  const char* live = std::getenv("HPCMON_MPI_LIVE");
  block.live = live && std::strcmp(live, "0") == 0 ? 0 : 1;
  long points = 512;
  if (const char* v = std::getenv("HPCMON_MPI_SERIES_POINTS"); v && *v) points = std::strtol(v, nullptr, 10);
  points = std::clamp(points, 8L, 65536L) & ~1L;  // even: decimation keeps every other point
  block.series_cap = std::uint32_t(points);
  double interval = cfg.sample_interval_s > 0 ? cfg.sample_interval_s : 1.0;
  block.interval_ns = std::int64_t(interval * 1e9);
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  const record::RecordKey key = record_key(host, block.start_ns, getpid());
  // Tracing (docs/tracing.md): hpc.trace / hpc.trace_events (the configuration, which the
  // SPANK plugin's --hpcmon-trace sets through HPCMON_HPC__TRACE*), overridden by
  // HPCMON_MPI_TRACE=1|0 and HPCMON_MPI_TRACE_EVENTS.
  bool trace = cfg.trace;
  if (const char* v = std::getenv("HPCMON_MPI_TRACE"); v && *v) trace = std::strcmp(v, "1") == 0;
  if (trace) {
    long long events = static_cast<long long>(cfg.trace_events > 0 ? cfg.trace_events : kTraceDefaultEvents);
    if (const char* v = std::getenv("HPCMON_MPI_TRACE_EVENTS"); v && *v) events = std::strtoll(v, nullptr, 10);
    block.trace_events = std::uint64_t(std::clamp<long long>(events, 1, kTraceMaxEvents));
  }
  copy(block.job_key, sizeof block.job_key, key.job.c_str());
  copy(block.step, sizeof block.step, key.step.c_str());
}

void start_live(Session& s, const InitBlock& block) {
  if (!block.live) return;
  LiveIdentity id;
  id.job_key = block.job_key;
  id.step = block.step;
  id.rank = s.rank;
  id.world_size = s.size;
  id.start_ns = s.start_ns;
  id.interval_ns = block.interval_ns;
  id.series_cap = block.series_cap;
  char problem[1400] = {};
  s.live = live_table_open(id, problem, sizeof problem);
  if (!s.live && s.rank == 0) say("hpcmon: no live table: %s", problem);
}

void start_sampler(Session& s, const InitBlock& block) {
  if (!s.live) return;
  SamplerSetup setup;
  setup.interval_ns = block.interval_ns;
  setup.tsc0 = s.tsc0;
  setup.mono0 = s.mono0;
  setup.usage0 = s.usage0;
  setup.counters_api = s.report;
  setup.counters = s.counters;
  if (s.counters) {
    // A PAPI set may be read only by the thread that opened it: its counters stay out of the
    // series (the record still has their totals).
    CounterReading first;
    s.report->counters_read(s.counters, &first);
    setup.counters_shared = std::strcmp(first.source, "papi") != 0;
  }
  if (!sampler_start(setup) && s.rank == 0) say("hpcmon: no sampling thread: pthread_create failed");
}

// The rank's series from its live table (the sampler is stopped): into the record.
void add_series(RankRows& rows) {
  rows.me.series_counter_count =
      live_series_copy(&rows.series, rows.me.series_counter_names, live::format::kCounterSlots);
  rows.me.series_rows = std::int32_t(rows.series.size());
}

}  // namespace

void session_start(int init_function, std::uint64_t init_ticks) {
  Session& s = g_session;
  if (g_active || s.finished) return;
  const char* missing = nullptr;
  if (!resolve_mpi_api(&missing)) {
    if (launcher_says_rank0())
      say("hpcmon: not recording: this MPI has no %s (the preload was built for %s)", missing, built_for_mpi());
    return;
  }
  char version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int len = 0;
  g_mpi.Get_library_version(version, &len);
  if (std::strstr(version, built_for_mpi()) == nullptr) {
    int rank = 0;
    g_mpi.Comm_rank(g_mpi.comm_world, &rank);
    if (char* nl = std::strchr(version, '\n')) *nl = '\0';
    if (rank == 0) say("hpcmon: not recording: built for %s, running %s", built_for_mpi(), version);
    return;
  }
  resolve_all_next();
  comm_init_world();
  s.rank = g_world_rank;
  s.size = g_world_size;
  s.clock.start();
  s.tsc0 = s.clock.tick0;
  s.mono0 = s.clock.mono0;
  getrusage(RUSAGE_SELF, &s.usage0);
  current_binding(s.cpuset, sizeof s.cpuset, &s.numa_node);
  g_mpi.Comm_dup(g_mpi.comm_world, &s.comm);

  InitBlock block{};
  if (s.rank == 0) {
    // Unloaded at once: yaml-cpp and the event-name check's libpapi must not stay in rank 0.
    void* handle = nullptr;
    const ReportApi* config = load_companion("libhpcmon_mpi_config.so", s.report_problem, sizeof s.report_problem, &handle);
    ReportConfig cfg;
    if (config) {
      config->load_config(&cfg);
      dlclose(handle);
    } else if (const char* dir = output_dir_override()) {
      copy(cfg.record_dir, sizeof cfg.record_dir, dir);  // no configuration: defaults
    }
    copy(s.config_problem, sizeof s.config_problem, cfg.problem);
    block.enabled = cfg.enabled ? 1 : 0;
    block.start_ns = now_ns(CLOCK_REALTIME);
    block.world_uid = std::uint64_t(block.start_ns) ^ (std::uint64_t(getpid()) << 32) ^ s.tsc0;
    copy(block.events, sizeof block.events, cfg.events);
    copy(block.record_dir, sizeof block.record_dir, cfg.record_dir);
    live_settings(block, cfg);
  }
  g_mpi.Bcast(&block, int(sizeof block), g_mpi.byte, 0, s.comm);
  if (!block.enabled) {
    g_mpi.Comm_free(&s.comm);
    return;
  }
  g_world_uids[0] = block.world_uid;
  s.start_ns = block.start_ns;
  copy(s.record_dir, sizeof s.record_dir, block.record_dir);
  s.report = load_companion("libhpcmon_mpi_counters.so", s.report_problem, sizeof s.report_problem);
  s.offset_init = clock_offset(s.comm, s.rank, s.size, s.clock);
  // Every rank serves rank 0 at MPI_Finalize, even one whose buffer could not be mapped.
  s.trace = block.trace_events > 0;
  if (s.trace) trace_open(block.trace_events);
  if (s.report) s.counters = s.report->counters_start(block.events);
  start_live(s, block);

  if (ThreadTables* t = thread_tables()) {
    FnStats& f = t->fn[init_function];
    f.calls = 1;
    f.ticks = f.min_ticks = f.max_ticks = init_ticks;
    f.hist[0] = 1;
  }
  g_active = true;
  g_recording = s.pcontrol_level > 0;
  start_sampler(s, block);
}

void session_pcontrol(int level) {
  Session& s = g_session;
  s.pcontrol_level = level;
  if (ThreadTables* t = thread_tables()) {
    FnStats& f = t->fn[F_MPI_Pcontrol];
    row_open(f.seq);
    ++f.calls;
    ++f.hist[0];
    row_close(f.seq);
  }
  g_recording = g_active && !s.finished && level > 0;
}

void session_finish() {
  Session& s = g_session;
  stop_recording(F_MPI_Finalize);
  trace_stop();
  sampler_stop();  // its last point sees the final tables
  // Wall time ends here: the offset exchange below waits for the slowest rank, and that wait
  // is not MPI time of the program (an early rank would look busy, a false imbalance).
  const std::int64_t finalize_entry_ns = now_ns(CLOCK_MONOTONIC);
  const ClockOffset offset_final = clock_offset(s.comm, s.rank, s.size, s.clock);
  RankContext context = rank_context(s, offset_final);
  const TraceTimebase timebase{s.clock, s.offset_init, context.drift_ns_per_s};
  context.mono_end = finalize_entry_ns;
  const std::int64_t end_ns = now_ns(CLOCK_REALTIME);
  RankRows mine = summarize_rank(context);
  add_series(mine);
  // Outside a job's run directory the file goes with a clean end (the record has it all).
  if (s.live) live_table_finish(live::format::kFinalized, end_ns, true);
  if (s.counters) s.report->counters_close(s.counters);
  s.counters = nullptr;

  MPI_Datatype rank_type = bytes_type(sizeof(RankSummary));
  std::vector<RankSummary> ranks(s.rank == 0 ? std::size_t(s.size) : 0);
  g_mpi.Gather(&mine.me, 1, rank_type, ranks.data(), 1, rank_type, 0, s.comm);
  g_mpi.Type_free(&rank_type);
  std::vector<int> fn_counts, tr_counts;
  for (const RankSummary& r : ranks) {
    fn_counts.push_back(r.function_rows);
    tr_counts.push_back(r.traffic_rows);
  }
  std::vector<FunctionSummary> functions = gather_rows(s, mine.functions, fn_counts);
  std::vector<TrafficSummary> traffic = gather_rows(s, mine.traffic, tr_counts);
  std::vector<int> se_counts;
  for (const RankSummary& r : ranks) se_counts.push_back(r.series_rows);
  std::vector<SeriesSummary> series = gather_rows(s, mine.series, se_counts);
  if (s.rank != 0) {
    if (s.trace) trace_serve(s.comm, s.rank, timebase);
    g_mpi.Comm_free(&s.comm);
    return;
  }
  TracePuller puller(s.comm, s.size, timebase);
  write(s, ranks.data(), s.size, functions, traffic, series, end_ns, nullptr, s.trace ? &puller : nullptr);
  if (s.trace) puller.finish();  // ranks the writer did not reach (it failed) stop waiting
  g_mpi.Comm_free(&s.comm);
}

// The aborting rank's partial write runs on a helper thread and the abort waits for it at
// most this long: a hung filesystem (or a hung load of the writer) must not delay MPI_Abort.
constexpr std::chrono::seconds kAbortWriteDeadline{5};

void session_abort(int errorcode) {
  (void)errorcode;
  Session& s = g_session;
  stop_recording(F_MPI_Abort);
  sampler_stop();
  if (s.live) live_table_finish(live::format::kAborted, now_ns(CLOCK_REALTIME), false);
  struct PartialWrite {
    RankRows mine;
    std::int64_t end_ns = 0;
    std::mutex lock;
    std::condition_variable finished;
    bool done = false;
  };
  // Shared with the helper: it may outlive this call when the deadline passes.
  auto job = std::make_shared<PartialWrite>();
  trace_stop();
  job->mine = summarize_rank(rank_context(s, s.offset_init));
  add_series(job->mine);
  job->end_ns = now_ns(CLOCK_REALTIME);
  try {
    std::thread([job, &s] {
      write(s, &job->mine.me, 1, job->mine.functions, job->mine.traffic, job->mine.series, job->end_ns, "MPI_Abort");
      std::lock_guard<std::mutex> hold(job->lock);
      job->done = true;
      job->finished.notify_one();
    }).detach();
  } catch (const std::exception&) {
    say("hpcmon: no partial MPI record: cannot start the writer thread");
    return;
  }
  std::unique_lock<std::mutex> hold(job->lock);
  if (!job->finished.wait_for(hold, kAbortWriteDeadline, [&] { return job->done; }))
    say("hpcmon: no partial MPI record: the write did not finish within 5 s, aborting without it");
}

}  // namespace hpcmon::mpi
