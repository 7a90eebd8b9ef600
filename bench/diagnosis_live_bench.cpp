// Cost of the head's live diagnosis per evaluation tick (docs/benchmarks.md, "diagnosis"):
// N running steps of R ranks each, their rank tables pushed into the head's agent store as
// node agents push them (10 MPI functions with size histograms and 4 traffic peers per rank,
// one rank in 16 late before its sends), then LiveDiagnosis::evaluate: gather, build the
// partial records, analyse, keep the live rules' findings. Median of 7 ticks, wall and CPU.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hpcmon/head/agent_store.hpp"
#include "hpcmon/head/live_diagnosis.hpp"

namespace {

using nlohmann::json;
using namespace hpcmon::head;

const std::int64_t kStart = 1795813200LL * 1000000000LL;
const char* const kFunctions[] = {"MPI_Send", "MPI_Recv", "MPI_Isend", "MPI_Irecv", "MPI_Wait",
                                  "MPI_Waitall", "MPI_Allreduce", "MPI_Bcast", "MPI_Barrier", "MPI_Reduce"};

json rank_table(int rank, int ranks) {
  const bool late = rank % 16 == 1;
  json functions = json::array();
  for (int f = 0; f < 10; ++f) {
    const double total = (f == 1 && !late) ? 3.0 : 0.05;
    functions.push_back({{"name", kFunctions[f]}, {"calls", 1000 + f}, {"bytes", 1024 * (1000 + f)}, {"errors", 0},
                         {"total_s", total}, {"min_s", total / 2000}, {"max_s", total / 100},
                         {"size_hist", json::array({json::array({11, 1000 + f})})}});
  }
  json traffic = json::array();
  for (int p = 1; p <= 4; ++p) traffic.push_back(json::array({0, (rank + p) % ranks, 1000, 1024000}));
  return {{"rank", rank}, {"node", "n" + std::to_string(rank / 32)}, {"state", "running"}, {"world_size", ranks},
          {"start_ns", kStart}, {"updated_ns", kStart + 10000000000LL}, {"end_ns", 0},
          {"mpi_s", late ? 0.5 : 3.45}, {"user_cpu_s", 9.9}, {"sys_cpu_s", 0.1}, {"rss_bytes", 100 << 20},
          {"functions", functions}, {"traffic", traffic}};
}

double cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + t.tv_nsec * 1e-9;
}

void run(int jobs, int ranks) {
  AgentStore agents;
  std::uint64_t seq = 0;
  // One agent per job here (one node's push carries its steps): the store keeps each step's
  // latest entry, as the daemon does.
  for (int j = 0; j < jobs; ++j) {
    json tables = json::array();
    for (int r = 0; r < ranks; ++r) tables.push_back(rank_table(r, ranks));
    const json mpi = {{"cluster", "bench"}, {"job", std::to_string(1000 + j)}, {"step", "0"},
                      {"t_ns", kStart + 10000000000LL}, {"ranks", ranks}, {"rank_tables", tables}};
    const json message = {{"v", 1}, {"kind", "samples"}, {"seq", ++seq},
                          {"agent", {{"node", "n" + std::to_string(j)}, {"instance", "bench"}}},
                          {"sent_ns", kStart}, {"samples", {{"mpi", json::array({mpi})}}}};
    agents.push(message.dump(), kStart);
  }
  LiveDiagnosis live(agents, hpcmon::config::Diagnosis{});
  std::vector<double> wall, cpu;
  for (int i = 0; i < 7; ++i) {
    const double c0 = cpu_s();
    const auto t0 = std::chrono::steady_clock::now();
    live.evaluate(kStart + 10000000000LL);
    wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    cpu.push_back(cpu_s() - c0);
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  std::printf("%6d jobs x %5d ranks: tick %9.2f ms wall (median), %9.2f ms CPU, %7.1f us CPU per rank, %zu findings\n",
              jobs, ranks, wall[3] * 1e3, cpu[3] * 1e3, cpu[3] * 1e6 / (jobs * ranks), live.findings().size());
}

}  // namespace

int main() {
  run(1, 16);
  run(10, 16);
  run(100, 16);
  run(1000, 16);
  run(10, 256);
  run(100, 256);
  return 0;
}
