#include "known_record.hpp"

#include <cmath>
#include <random>
#include <string>

namespace hpcmon::testkit {

// Figures of known_record() (asserted by report_test and cli tests):
//   wall 10 s (start..end), ranks wall 10, 10, 10, 10 s; mpi_s 1, 2, 3, 6 s -> mpi fraction 0.3
//   user cpu 8 s + sys 0.5 s per rank -> cpu used 34 s of 8 cores * 10 s = 80 s (0.425)
//   rss hwm 1, 2, 3, 4 GiB -> 10 GiB of 16 GiB requested (0.625)
//   MPI_Allreduce total 6 s (4 x 1.5), MPI_Send 4 s, MPI_Recv 2 s
record::JobRecord known_record() {
  record::JobRecord rec;
  auto& j = rec.job;
  j.key = {"testcluster", "4242_7", "0", 1, 2};
  j.job_name = "heat \"1d\", test";
  j.user = "alice";
  j.account = "physics";
  j.partition = "compute";
  j.node_list = "node[01-02]";
  j.node_count = 2;
  j.rank_count = 4;
  j.allocation = {8, 16ull << 30, 3600};
  j.command_line = "./heat1d --n=1000 'a b'";
  j.start_ns = 1'700'000'000'000'000'000;
  j.end_ns = j.start_ns + 10'000'000'000;
  j.exit_status_known = true;
  j.exit_status = 0;
  j.counter_source = "perf_event";
  j.counter_quality = "software";
  j.counter_note = "papi: PAPI_TOT_CYC, PAPI_TOT_INS: no hardware PMU (no /sys/bus/event_source/devices/cpu)";
  rec.has_mpi = true;
  rec.counter_names = {"task_clock_ns", "page_faults"};
  const double mpi_s[4] = {1, 2, 3, 6};
  for (int r = 0; r < 4; ++r) {
    record::RankRow row;
    row.rank = r;
    row.node = r < 2 ? "node01" : "node02";
    row.pid = 1000 + r;
    row.cpuset = std::to_string(r % 2);
    row.numa_node = 0;
    row.wall_s = 10;
    row.user_cpu_s = 8;
    row.sys_cpu_s = 0.5;
    row.mpi_s = mpi_s[r];
    row.rss_hwm_bytes = static_cast<std::uint64_t>(r + 1) << 30;
    row.clock_offset_ns = r * 100 - 150;
    row.clock_offset_init_ns = r * 100 - 160;
    row.clock_offset_final_ns = row.clock_offset_ns;
    row.clock_rtt_init_ns = r == 0 ? 0 : 900;
    row.clock_rtt_final_ns = r == 0 ? 0 : 700;
    row.clock_drift_ns_per_s = r == 0 ? 0.0 : 1.0;  // +10 ns over the 10 s run
    row.clock_source = "tsc";
    row.counters = {8.5e9 + r, 1000.0 * (r + 1)};
    rec.ranks.push_back(row);
  }
  for (int n = 1; n <= 2; ++n) {
    record::NodeRow node;
    node.node = "node0" + std::to_string(n);
    node.hostname = node.node;
    node.fqdn = node.node + ".cluster.example";
    node.cpus = 4;
    node.mem_total_bytes = 32ull << 30;
    node.cpu_util_mean = 0.75;
    node.cpu_util_max = 1.0;
    node.mem_used_max_bytes = static_cast<std::uint64_t>(n) << 32;
    node.load1_max = 4.25;
    node.disk_read_bytes = 1 << 20;
    node.disk_write_bytes = 2 << 20;
    node.net_rx_bytes = 3 << 20;
    node.net_tx_bytes = 4 << 20;
    rec.nodes.push_back(node);
  }
  for (int r = 0; r < 4; ++r) {
    record::MpiFunctionRow send{r, "MPI_Send", 100, 100 * 4096, 0, 1.0, 0.001, 0.125, {}};
    send.size_hist[13] = 100;  // 4096 bytes: bin 13 = [2^12, 2^13)
    record::MpiFunctionRow recv{r, "MPI_Recv", 100, 100 * 4096, 0, 0.5, 0.001, 0.0625, {}};
    recv.size_hist[13] = 100;
    record::MpiFunctionRow allreduce{r, "MPI_Allreduce", 10, 80, r == 3 ? 1u : 0u, 1.5, 0.0625, 0.25, {}};
    allreduce.size_hist[4] = 10;  // 8 bytes
    rec.mpi.push_back(send);
    rec.mpi.push_back(recv);
    rec.mpi.push_back(allreduce);
    rec.traffic.push_back({r, 0, (r + 1) % 4, 100, 100 * 4096});
  }
  for (int r = 0; r < 2; ++r) {
    record::Series s{"rank", std::to_string(r), "rss", "B", "proc", {}, {}};
    for (int i = 0; i < 5; ++i) {
      s.t_ns.push_back(j.start_ns + i * 2'000'000'000ll);
      s.values.push_back((1 << 20) * (i + 1.0));
    }
    rec.series.push_back(s);
  }
  record::Series node_util{"node", "node01", "cpu_util", "1", "proc", {}, {}};
  for (int i = 0; i < 5; ++i) {
    node_util.t_ns.push_back(j.start_ns + i * 2'000'000'000ll);
    node_util.values.push_back(0.25 * i);
  }
  rec.series.push_back(node_util);
  return rec;
}

record::JobRecord synthetic_record(std::int32_t ranks, std::size_t samples, std::uint32_t seed) {
  static const char* kFunctions[] = {"MPI_Send",  "MPI_Recv",      "MPI_Isend", "MPI_Irecv", "MPI_Wait",
                                     "MPI_Waitall", "MPI_Allreduce", "MPI_Bcast", "MPI_Barrier", "MPI_Reduce"};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  record::JobRecord rec;
  auto& j = rec.job;
  j.key = {"bench", "100", "0", 0, 0};
  j.job_name = "synthetic";
  j.user = "bench";
  j.rank_count = static_cast<std::uint32_t>(ranks);
  j.node_count = static_cast<std::uint32_t>((ranks + 15) / 16);
  j.allocation = {static_cast<std::uint32_t>(ranks), static_cast<std::uint64_t>(ranks) << 31, 86400};
  j.start_ns = 1'700'000'000'000'000'000;
  j.end_ns = j.start_ns + static_cast<std::int64_t>(samples) * 1'000'000'000;
  j.counter_source = "papi";
  j.counter_quality = "exact";
  rec.has_mpi = true;
  rec.counter_names = {"PAPI_TOT_INS", "PAPI_TOT_CYC", "PAPI_L3_TCM", "PAPI_FP_OPS"};
  for (std::int32_t r = 0; r < ranks; ++r) {
    record::RankRow row;
    row.rank = r;
    row.node = "node" + std::to_string(r / 16);
    row.pid = 10000 + r;
    row.cpuset = std::to_string(r % 16);
    row.numa_node = (r % 16) / 8;
    row.wall_s = static_cast<double>(samples);
    row.user_cpu_s = row.wall_s * (0.8 + 0.2 * u(rng));
    row.sys_cpu_s = row.wall_s * 0.01 * u(rng);
    row.mpi_s = row.wall_s * 0.2 * u(rng);
    row.rss_hwm_bytes = (1ull << 30) + static_cast<std::uint64_t>(u(rng) * (1 << 28));
    row.clock_offset_ns = static_cast<std::int64_t>(u(rng) * 2000) - 1000;
    for (std::size_t c = 0; c < rec.counter_names.size(); ++c) row.counters.push_back(std::floor(1e12 * u(rng)));
    rec.ranks.push_back(std::move(row));
    for (const char* f : kFunctions) {
      record::MpiFunctionRow m;
      m.rank = r;
      m.function = f;
      m.calls = 1000 + static_cast<std::uint64_t>(u(rng) * 100000);
      m.total_s = u(rng) * 10;
      m.min_s = 1e-7 * u(rng);
      m.max_s = 0.01 * u(rng);
      for (int k = 0; k < 4; ++k) {
        const auto bin = static_cast<std::size_t>(u(rng) * 24);
        m.size_hist[bin] += m.calls / 4;
        m.bytes += (m.calls / 4) << (bin > 0 ? bin - 1 : 0);
      }
      rec.mpi.push_back(std::move(m));
    }
    for (int d : {-2, -1, 1, 2}) {
      const std::int32_t peer = ((r + d) % ranks + ranks) % ranks;
      if (peer == r) continue;
      rec.traffic.push_back({r, 0, peer, 1000 + static_cast<std::uint64_t>(u(rng) * 1000),
                             static_cast<std::uint64_t>(u(rng) * 1e9)});
    }
    // One sampler tick reads the rank's three metrics: they share their times.
    std::vector<std::int64_t> ticks(samples);
    for (std::size_t i = 0; i < samples; ++i)
      ticks[i] = j.start_ns + static_cast<std::int64_t>(i) * 1'000'000'000 + static_cast<std::int64_t>(u(rng) * 1000);
    const char* metrics[3][2] = {{"rss", "B"}, {"cpu_util", "1"}, {"mpi_fraction", "1"}};
    for (auto& m : metrics) {
      record::Series s{"rank", std::to_string(r), m[0], m[1], "proc", ticks, {}};
      s.values.resize(samples);
      const bool rss = std::string(m[0]) == "rss";
      double v = rss ? 1e9 : 0.5;
      for (std::size_t i = 0; i < samples; ++i) {
        v = rss ? std::floor(v + u(rng) * 4096) : std::round(u(rng) * 1000) / 1000;
        s.values[i] = v;
      }
      rec.series.push_back(std::move(s));
    }
  }
  for (std::uint32_t n = 0; n < j.node_count; ++n) {
    record::NodeRow node;
    node.node = "node" + std::to_string(n);
    node.hostname = node.node;
    node.fqdn = node.node + ".bench";
    node.cpus = 16;
    node.mem_total_bytes = 64ull << 30;
    node.cpu_util_mean = u(rng);
    node.cpu_util_max = 1;
    rec.nodes.push_back(node);
  }
  return rec;
}

}  // namespace hpcmon::testkit
