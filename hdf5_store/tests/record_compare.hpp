// Field-by-field comparison of two records for gtest; NaN equals NaN.
#pragma once

#include <gtest/gtest.h>

#include <cmath>

#include "hpcmon/record.hpp"

namespace hpcmon::testkit {

inline void expect_same_double(double a, double b, const char* what) {
  if (std::isnan(a) && std::isnan(b)) return;
  EXPECT_EQ(a, b) << what;
}

inline void expect_same_record(const record::JobRecord& a, const record::JobRecord& b) {
  const auto &x = a.job, &y = b.job;
  EXPECT_EQ(x.key.cluster, y.key.cluster);
  EXPECT_EQ(x.key.job, y.key.job);
  EXPECT_EQ(x.key.step, y.key.step);
  EXPECT_EQ(x.key.restart_count, y.key.restart_count);
  EXPECT_EQ(x.key.run, y.key.run);
  EXPECT_EQ(x.job_name, y.job_name);
  EXPECT_EQ(x.user, y.user);
  EXPECT_EQ(x.account, y.account);
  EXPECT_EQ(x.partition, y.partition);
  EXPECT_EQ(x.node_list, y.node_list);
  EXPECT_EQ(x.node_count, y.node_count);
  EXPECT_EQ(x.rank_count, y.rank_count);
  EXPECT_EQ(x.allocation.cores, y.allocation.cores);
  EXPECT_EQ(x.allocation.memory_bytes, y.allocation.memory_bytes);
  EXPECT_EQ(x.allocation.time_limit_s, y.allocation.time_limit_s);
  EXPECT_EQ(x.command_line, y.command_line);
  EXPECT_EQ(x.start_ns, y.start_ns);
  EXPECT_EQ(x.end_ns, y.end_ns);
  EXPECT_EQ(x.exit_status_known, y.exit_status_known);
  EXPECT_EQ(x.exit_status, y.exit_status);
  EXPECT_EQ(x.counter_source, y.counter_source);
  EXPECT_EQ(x.counter_quality, y.counter_quality);
  EXPECT_EQ(x.counter_note, y.counter_note);
  EXPECT_EQ(x.partial, y.partial);
  EXPECT_EQ(x.partial_reason, y.partial_reason);
  EXPECT_EQ(a.has_mpi, b.has_mpi);
  EXPECT_EQ(a.mpi_table_overflows, b.mpi_table_overflows);
  EXPECT_EQ(a.counter_names, b.counter_names);

  ASSERT_EQ(a.ranks.size(), b.ranks.size());
  for (std::size_t i = 0; i < a.ranks.size(); ++i) {
    const auto &r = a.ranks[i], &s = b.ranks[i];
    SCOPED_TRACE("rank row " + std::to_string(i));
    EXPECT_EQ(r.rank, s.rank);
    EXPECT_EQ(r.node, s.node);
    EXPECT_EQ(r.pid, s.pid);
    EXPECT_EQ(r.cpuset, s.cpuset);
    EXPECT_EQ(r.numa_node, s.numa_node);
    EXPECT_EQ(r.wall_s, s.wall_s);
    EXPECT_EQ(r.user_cpu_s, s.user_cpu_s);
    EXPECT_EQ(r.sys_cpu_s, s.sys_cpu_s);
    EXPECT_EQ(r.mpi_s, s.mpi_s);
    EXPECT_EQ(r.rss_hwm_bytes, s.rss_hwm_bytes);
    EXPECT_EQ(r.clock_offset_ns, s.clock_offset_ns);
    EXPECT_EQ(r.clock_offset_init_ns, s.clock_offset_init_ns);
    EXPECT_EQ(r.clock_offset_final_ns, s.clock_offset_final_ns);
    EXPECT_EQ(r.clock_rtt_init_ns, s.clock_rtt_init_ns);
    EXPECT_EQ(r.clock_rtt_final_ns, s.clock_rtt_final_ns);
    EXPECT_EQ(r.clock_drift_ns_per_s, s.clock_drift_ns_per_s);
    EXPECT_EQ(r.clock_source, s.clock_source);
    ASSERT_EQ(r.counters.size(), s.counters.size());
    for (std::size_t c = 0; c < r.counters.size(); ++c) expect_same_double(r.counters[c], s.counters[c], "counter");
  }
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (std::size_t i = 0; i < a.nodes.size(); ++i) {
    const auto &n = a.nodes[i], &m = b.nodes[i];
    SCOPED_TRACE("node row " + std::to_string(i));
    EXPECT_EQ(n.node, m.node);
    EXPECT_EQ(n.hostname, m.hostname);
    EXPECT_EQ(n.fqdn, m.fqdn);
    EXPECT_EQ(n.cpus, m.cpus);
    EXPECT_EQ(n.mem_total_bytes, m.mem_total_bytes);
    EXPECT_EQ(n.cpu_util_mean, m.cpu_util_mean);
    EXPECT_EQ(n.cpu_util_max, m.cpu_util_max);
    EXPECT_EQ(n.mem_used_max_bytes, m.mem_used_max_bytes);
    EXPECT_EQ(n.load1_max, m.load1_max);
    EXPECT_EQ(n.disk_read_bytes, m.disk_read_bytes);
    EXPECT_EQ(n.disk_write_bytes, m.disk_write_bytes);
    EXPECT_EQ(n.net_rx_bytes, m.net_rx_bytes);
    EXPECT_EQ(n.net_tx_bytes, m.net_tx_bytes);
  }
  ASSERT_EQ(a.mpi.size(), b.mpi.size());
  for (std::size_t i = 0; i < a.mpi.size(); ++i) {
    const auto &m = a.mpi[i], &n = b.mpi[i];
    SCOPED_TRACE("mpi row " + std::to_string(i));
    EXPECT_EQ(m.rank, n.rank);
    EXPECT_EQ(m.function, n.function);
    EXPECT_EQ(m.calls, n.calls);
    EXPECT_EQ(m.bytes, n.bytes);
    EXPECT_EQ(m.errors, n.errors);
    EXPECT_EQ(m.total_s, n.total_s);
    EXPECT_EQ(m.min_s, n.min_s);
    EXPECT_EQ(m.max_s, n.max_s);
    EXPECT_EQ(m.size_hist, n.size_hist);
  }
  ASSERT_EQ(a.traffic.size(), b.traffic.size());
  for (std::size_t i = 0; i < a.traffic.size(); ++i) {
    const auto &t = a.traffic[i], &u = b.traffic[i];
    SCOPED_TRACE("traffic row " + std::to_string(i));
    EXPECT_EQ(t.src, u.src);
    EXPECT_EQ(t.dst_world, u.dst_world);
    EXPECT_EQ(t.dst, u.dst);
    EXPECT_EQ(t.messages, u.messages);
    EXPECT_EQ(t.bytes, u.bytes);
  }
  ASSERT_EQ(a.series.size(), b.series.size());
  for (std::size_t i = 0; i < a.series.size(); ++i) {
    const auto &s = a.series[i], &t = b.series[i];
    SCOPED_TRACE("series " + std::to_string(i));
    EXPECT_EQ(s.owner_kind, t.owner_kind);
    EXPECT_EQ(s.owner, t.owner);
    EXPECT_EQ(s.metric, t.metric);
    EXPECT_EQ(s.unit, t.unit);
    EXPECT_EQ(s.source, t.source);
    EXPECT_EQ(s.t_ns, t.t_ns);
    EXPECT_EQ(s.values, t.values);
  }
}

}  // namespace hpcmon::testkit
