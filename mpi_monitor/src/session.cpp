// One MPI session of a rank: what happens at MPI_Init (version check, configuration from
// rank 0, clock offsets, counters) and at MPI_Finalize (gather to rank 0, record, one line).
// Everything here calls PMPI_* through g_mpi, on a duplicate of MPI_COMM_WORLD, so none of
// it is counted and none of it reaches another preloaded tool.
#include <dlfcn.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "comm_cache.hpp"
#include "lifecycle.hpp"
#include "mpi_api.hpp"
#include "report_api.hpp"
#include "runtime.hpp"
#include "summary.hpp"

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
};

struct Session {
  const ReportApi* report = nullptr;  // libhpcmon_mpi_counters.so: config, counters, binding
  const ReportApi* writer = nullptr;  // libhpcmon_mpi_report.so: loaded by the writing rank only
  char report_problem[600] = {};
  char config_problem[512] = {};
  void* counters = nullptr;
  MPI_Comm comm = nullptr;  // our duplicate of MPI_COMM_WORLD
  int rank = 0, size = 1;
  std::uint64_t tsc0 = 0;
  std::int64_t mono0 = 0, start_ns = 0;
  std::int64_t offset_init_ns = 0;
  rusage usage0{};
  char record_dir[1024] = {};
  int pcontrol_level = 1;
  bool finished = false;
};

Session g_session;

std::int64_t now_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

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
const ReportApi* load_companion(const char* file, char* problem, std::size_t cap) {
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
  return api;
}

// This rank's realtime clock minus rank 0's: rank 0 answers each rank in turn; the rank
// takes the midpoint of its request and reply. Three rounds, the shortest one wins.
std::int64_t clock_offset(const Session& s) {
  if (s.size == 1) return 0;
  const int tag = 7001;
  if (s.rank == 0) {
    for (int r = 1; r < s.size; ++r) {
      for (int k = 0; k < 3; ++k) {
        std::int64_t ping = 0, t0 = 0;
        g_mpi.Recv(&ping, 1, g_mpi.int64, r, tag, s.comm, MPI_STATUS_IGNORE);
        t0 = now_ns(CLOCK_REALTIME);
        g_mpi.Send(&t0, 1, g_mpi.int64, r, tag, s.comm);
      }
    }
    return 0;
  }
  std::int64_t best_rtt = -1, best = 0;
  for (int k = 0; k < 3; ++k) {
    std::int64_t t1 = now_ns(CLOCK_REALTIME), t0 = 0;
    g_mpi.Send(&t1, 1, g_mpi.int64, 0, tag, s.comm);
    g_mpi.Recv(&t0, 1, g_mpi.int64, 0, tag, s.comm, MPI_STATUS_IGNORE);
    std::int64_t t2 = now_ns(CLOCK_REALTIME);
    if (best_rtt < 0 || t2 - t1 < best_rtt) {
      best_rtt = t2 - t1;
      best = (t1 + t2) / 2 - t0;
    }
  }
  return best;
}

void host_names(char* node, char* host) {
  char h[256] = {};
  gethostname(h, sizeof h - 1);
  copy(host, kNameLen, h);
  if (const char* n = std::getenv("SLURMD_NODENAME"); n && *n) {
    copy(node, kNameLen, n);
  } else {
    if (char* dot = std::strchr(h, '.')) *dot = '\0';
    copy(node, kNameLen, h);
  }
}

double seconds(const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) * 1e-6; }

// The rank's tables, all threads merged, as gatherable rows.
void summarize(const Session& s, double ns_per_tick, std::int64_t offset_final, RankSummary* me,
               std::vector<FunctionSummary>* functions, std::vector<TrafficSummary>* traffic) {
  *me = RankSummary{};
  me->rank = s.rank;
  me->pid = getpid();
  host_names(me->node, me->hostname);
  me->numa_node = -1;
  if (s.report) s.report->binding(me->cpuset, sizeof me->cpuset, &me->numa_node);
  me->wall_s = double(now_ns(CLOCK_MONOTONIC) - s.mono0) * 1e-9;
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  me->user_cpu_s = seconds(u.ru_utime) - seconds(s.usage0.ru_utime);
  me->sys_cpu_s = seconds(u.ru_stime) - seconds(s.usage0.ru_stime);
  me->rss_hwm_bytes = std::uint64_t(u.ru_maxrss) * 1024;
  me->clock_offset_init_ns = s.offset_init_ns;
  me->clock_offset_final_ns = offset_final;
  me->world_count = g_world_count;
  for (int i = 0; i < g_world_count; ++i) me->world_uids[i] = g_world_uids[i];

  std::uint64_t ticks_in_mpi = 0, overflows = 0;
  for (const ThreadTables& t : g_tables) {
    ticks_in_mpi += t.ticks_in_mpi;
    overflows += t.overflows;
  }
  me->mpi_s = double(ticks_in_mpi) * ns_per_tick * 1e-9;
  me->overflows = overflows;

  for (int f = 0; f < kFunctionCount; ++f) {
    FunctionSummary row{};
    row.function = f;
    bool first = true;
    for (const ThreadTables& t : g_tables) {
      const FnStats& st = t.fn[f];
      if (st.calls == 0) continue;
      row.calls += st.calls;
      row.bytes += st.bytes;
      row.errors += st.errors;
      row.total_s += double(st.ticks) * ns_per_tick * 1e-9;
      double mn = double(st.min_ticks) * ns_per_tick * 1e-9, mx = double(st.max_ticks) * ns_per_tick * 1e-9;
      row.min_s = first ? mn : std::min(row.min_s, mn);
      row.max_s = std::max(row.max_s, mx);
      for (int b = 0; b < kSizeBins; ++b) row.hist[b] += st.hist[b];
      first = false;
    }
    if (row.calls) functions->push_back(row);
  }
  std::map<std::uint64_t, TrafficSummary> peers;
  for (const ThreadTables& t : g_tables) {
    for (const TrafficSlot& slot : t.traffic) {
      if (slot.key_plus1 == 0) continue;
      std::uint64_t key = slot.key_plus1 - 1;
      TrafficSummary& row = peers[key];
      row.world_index = std::uint32_t(key >> 32);
      row.dst = std::int32_t(std::uint32_t(key));
      row.messages += slot.messages;
      row.bytes += slot.bytes;
    }
  }
  for (auto& [key, row] : peers) traffic->push_back(row);
  me->function_rows = std::int32_t(functions->size());
  me->traffic_rows = std::int32_t(traffic->size());

  if (s.counters && s.report) {
    CounterReading c;
    s.report->counters_read(s.counters, &c);
    me->counter_count = std::min(c.count, kMaxCounters);
    for (int i = 0; i < me->counter_count; ++i) {
      me->counters[i] = c.values[i];
      copy(me->counter_names[i], kNameLen, c.names[i]);
    }
    copy(me->counter_source, sizeof me->counter_source, c.source);
    copy(me->counter_quality, sizeof me->counter_quality, c.quality);
  }
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
  s.tsc0 = __rdtsc();
  s.mono0 = now_ns(CLOCK_MONOTONIC);
  getrusage(RUSAGE_SELF, &s.usage0);
  g_mpi.Comm_dup(g_mpi.comm_world, &s.comm);

  InitBlock block{};
  if (s.rank == 0) {
    s.report = load_companion("libhpcmon_mpi_counters.so", s.report_problem, sizeof s.report_problem);
    ReportConfig cfg;
    if (s.report) {
      s.report->load_config(&cfg);
    } else if (const char* dir = std::getenv("HPCMON_OUTPUT_DIR")) {
      copy(cfg.record_dir, sizeof cfg.record_dir, dir);  // no configuration: defaults
    }
    copy(s.config_problem, sizeof s.config_problem, cfg.problem);
    block.enabled = cfg.enabled ? 1 : 0;
    block.start_ns = now_ns(CLOCK_REALTIME);
    block.world_uid = std::uint64_t(block.start_ns) ^ (std::uint64_t(getpid()) << 32) ^ s.tsc0;
    copy(block.events, sizeof block.events, cfg.events);
    copy(block.record_dir, sizeof block.record_dir, cfg.record_dir);
  }
  g_mpi.Bcast(&block, int(sizeof block), g_mpi.byte, 0, s.comm);
  if (!block.enabled) {
    g_mpi.Comm_free(&s.comm);
    return;
  }
  g_world_uids[0] = block.world_uid;
  s.start_ns = block.start_ns;
  copy(s.record_dir, sizeof s.record_dir, block.record_dir);
  if (s.rank != 0) s.report = load_companion("libhpcmon_mpi_counters.so", s.report_problem, sizeof s.report_problem);
  s.offset_init_ns = clock_offset(s);
  if (s.report) s.counters = s.report->counters_start(block.events);

  if (ThreadTables* t = thread_tables()) {
    FnStats& f = t->fn[init_function];
    f.calls = 1;
    f.ticks = f.min_ticks = f.max_ticks = init_ticks;
    f.hist[0] = 1;
  }
  g_active = true;
  g_recording = s.pcontrol_level > 0;
}

void session_pcontrol(int level) {
  Session& s = g_session;
  s.pcontrol_level = level;
  if (ThreadTables* t = thread_tables()) {
    ++t->fn[F_MPI_Pcontrol].calls;
    ++t->fn[F_MPI_Pcontrol].hist[0];
  }
  g_recording = g_active && !s.finished && level > 0;
}

void session_finish() {
  Session& s = g_session;
  g_recording = false;
  s.finished = true;
  g_active = false;
  if (ThreadTables* t = thread_tables()) {
    ++t->fn[F_MPI_Finalize].calls;
    ++t->fn[F_MPI_Finalize].hist[0];
  }
  const std::uint64_t tsc1 = __rdtsc();
  const std::int64_t mono1 = now_ns(CLOCK_MONOTONIC);
  const double ns_per_tick = tsc1 > s.tsc0 ? double(mono1 - s.mono0) / double(tsc1 - s.tsc0) : 0.0;
  const std::int64_t offset_final = clock_offset(s);
  const std::int64_t end_ns = now_ns(CLOCK_REALTIME);

  RankSummary me;
  std::vector<FunctionSummary> functions;
  std::vector<TrafficSummary> traffic;
  summarize(s, ns_per_tick, offset_final, &me, &functions, &traffic);
  if (s.counters) s.report->counters_close(s.counters);
  s.counters = nullptr;

  MPI_Datatype rank_type = bytes_type(sizeof(RankSummary));
  std::vector<RankSummary> ranks(s.rank == 0 ? std::size_t(s.size) : 0);
  g_mpi.Gather(&me, 1, rank_type, ranks.data(), 1, rank_type, 0, s.comm);
  g_mpi.Type_free(&rank_type);
  std::vector<int> fn_counts, tr_counts;
  for (const RankSummary& r : ranks) {
    fn_counts.push_back(r.function_rows);
    tr_counts.push_back(r.traffic_rows);
  }
  std::vector<FunctionSummary> all_functions = gather_rows(s, functions, fn_counts);
  std::vector<TrafficSummary> all_traffic = gather_rows(s, traffic, tr_counts);
  g_mpi.Comm_free(&s.comm);
  if (s.rank != 0) return;

  s.writer = load_companion("libhpcmon_mpi_report.so", s.report_problem, sizeof s.report_problem);
  if (!s.writer) {
    say("hpcmon: no MPI record: %s", s.report_problem);
    return;
  }
  GatheredJob job{};
  job.ranks = ranks.data();
  job.rank_count = s.size;
  job.world_size = s.size;
  job.functions = all_functions.data();
  job.function_count = long(all_functions.size());
  job.traffic = all_traffic.data();
  job.traffic_count = long(all_traffic.size());
  job.function_names = kFunctionNames;
  job.function_name_count = kFunctionCount;
  job.start_ns = s.start_ns;
  job.end_ns = end_ns;
  job.untracked_calls = g_untracked.load();
  job.partial = false;
  job.partial_reason = "";
  job.record_dir = s.record_dir;
  char result[1200] = {};
  if (s.writer->write_record(&job, result, sizeof result)) {
    const char* quiet = std::getenv("HPCMON_MPI_QUIET");
    if (quiet && std::strcmp(quiet, "1") == 0 && !s.config_problem[0]) return;
    if (s.config_problem[0]) say("hpcmon: MPI record written to %s (config: %s)", result, s.config_problem);
    else say("hpcmon: MPI record written to %s", result);
  } else {
    say("hpcmon: no MPI record: %s", result);
  }
}

void session_abort(int errorcode) {
  (void)errorcode;
  Session& s = g_session;
  g_recording = false;
  s.finished = true;
  g_active = false;
  s.writer = load_companion("libhpcmon_mpi_report.so", s.report_problem, sizeof s.report_problem);
  if (!s.writer) {
    say("hpcmon: no MPI record: %s", s.report_problem);
    return;
  }
  const std::uint64_t tsc1 = __rdtsc();
  const std::int64_t mono1 = now_ns(CLOCK_MONOTONIC);
  const double ns_per_tick = tsc1 > s.tsc0 ? double(mono1 - s.mono0) / double(tsc1 - s.tsc0) : 0.0;
  if (ThreadTables* t = thread_tables()) {
    ++t->fn[F_MPI_Abort].calls;
    ++t->fn[F_MPI_Abort].hist[0];
  }
  RankSummary me;
  std::vector<FunctionSummary> functions;
  std::vector<TrafficSummary> traffic;
  summarize(s, ns_per_tick, s.offset_init_ns, &me, &functions, &traffic);
  GatheredJob job{};
  job.ranks = &me;
  job.rank_count = 1;
  job.world_size = s.size;
  job.functions = functions.data();
  job.function_count = long(functions.size());
  job.traffic = traffic.data();
  job.traffic_count = long(traffic.size());
  job.function_names = kFunctionNames;
  job.function_name_count = kFunctionCount;
  job.start_ns = s.start_ns;
  job.end_ns = now_ns(CLOCK_REALTIME);
  job.untracked_calls = g_untracked.load();
  job.partial = true;
  job.partial_reason = "MPI_Abort";
  job.record_dir = s.record_dir;
  char result[1200] = {};
  if (s.writer->write_record(&job, result, sizeof result))
    say("hpcmon: partial MPI record (MPI_Abort) written to %s", result);
  else
    say("hpcmon: no MPI record: %s", result);
}

}  // namespace hpcmon::mpi
