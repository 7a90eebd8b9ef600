#include "rank_summary.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <span>

#include "comm_cache.hpp"
#include "runtime.hpp"

namespace hpcmon::mpi {
namespace {

void copy(char* dst, std::size_t cap, const char* src) { std::snprintf(dst, cap, "%s", src ? src : ""); }

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

}  // namespace

RankRows summarize_rank(const RankContext& s) {
  RankRows rows;
  RankSummary* me = &rows.me;
  std::vector<FunctionSummary>* functions = &rows.functions;
  std::vector<TrafficSummary>* traffic = &rows.traffic;
  const double ns_per_tick = s.ns_per_tick;
  *me = RankSummary{};
  me->rank = s.rank;
  me->pid = getpid();
  host_names(me->node, me->hostname);
  copy(me->cpuset, sizeof me->cpuset, s.cpuset);
  me->numa_node = s.numa_node;
  me->wall_s = double((s.mono_end ? s.mono_end : now_ns(CLOCK_MONOTONIC)) - s.mono0) * 1e-9;
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  me->user_cpu_s = seconds(u.ru_utime) - seconds(s.usage0.ru_utime);
  me->sys_cpu_s = seconds(u.ru_stime) - seconds(s.usage0.ru_stime);
  me->rss_hwm_bytes = std::uint64_t(u.ru_maxrss) * 1024;
  me->clock_offset_init_ns = s.offset_init_ns;
  me->clock_offset_final_ns = s.offset_final_ns;
  me->clock_rtt_init_ns = s.rtt_init_ns;
  me->clock_rtt_final_ns = s.rtt_final_ns;
  me->clock_drift_ns_per_s = s.drift_ns_per_s;
  copy(me->clock_source, sizeof me->clock_source, clock_source_name());
  me->world_count = g_world_count;
  for (int i = 0; i < g_world_count; ++i) me->world_uids[i] = g_world_uids[i];

  std::uint64_t ticks_in_mpi = 0, overflows = 0;
  for (const ThreadTables& t : std::span(g_tables, kMaxThreads)) {
    ticks_in_mpi += t.ticks_in_mpi;
    overflows += t.overflows;
  }
  me->mpi_s = double(ticks_in_mpi) * ns_per_tick * 1e-9;
  me->overflows = overflows;

  for (int f = 0; f < kFunctionCount; ++f) {
    FunctionSummary row{};
    row.function = f;
    bool first = true;
    for (const ThreadTables& t : std::span(g_tables, kMaxThreads)) {
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
  for (const ThreadTables& t : std::span(g_tables, kMaxThreads)) {
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

  if (s.counters && s.counters_api) {
    CounterReading c;
    s.counters_api->counters_read(s.counters, &c);
    me->counter_count = std::min(c.count, kMaxCounters);
    for (int i = 0; i < me->counter_count; ++i) {
      me->counters[i] = c.values[i];
      copy(me->counter_names[i], kNameLen, c.names[i]);
    }
    copy(me->counter_source, sizeof me->counter_source, c.source);
    copy(me->counter_quality, sizeof me->counter_quality, c.quality);
    copy(me->counter_note, sizeof me->counter_note, c.note);
  }
  return rows;
}

}  // namespace hpcmon::mpi
