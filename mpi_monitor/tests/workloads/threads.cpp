// Known-traffic workload (C++): MPI_THREAD_MULTIPLE with 4 threads per rank calling MPI at
// the same time, 2 ranks. Thread t of rank 0 sends 5 messages of t + 1 doubles to rank 1
// (tag t) and gets each one back; thread t of rank 1 answers. Each rank's record sums its
// threads' tables. World rank 0 gathers one checksum per rank and prints it with %a.
// Expected calls, bytes and traffic: threads.expected (same folder).
#include <mpi.h>

#include <array>
#include <cstdio>
#include <thread>
#include <vector>

namespace {

constexpr int kRanks = 2, kThreads = 4, kRounds = 5;

// Per-thread result, folded in thread order afterwards so the checksum is deterministic.
double run_thread(int rank, int t) {
  const int partner = 1 - rank, n = t + 1;
  std::array<double, kThreads> buf{};
  double sum = 0.0;
  for (int k = 0; k < kRounds; ++k) {
    if (rank == 0) {
      for (int i = 0; i < n; ++i) buf[i] = t * 10.0 + k + i * 0.125;
      MPI_Send(buf.data(), n, MPI_DOUBLE, partner, t, MPI_COMM_WORLD);
      MPI_Recv(buf.data(), n, MPI_DOUBLE, partner, t, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
      MPI_Recv(buf.data(), n, MPI_DOUBLE, partner, t, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      for (int i = 0; i < n; ++i) buf[i] = buf[i] * 2.0 + 1.0;
      MPI_Send(buf.data(), n, MPI_DOUBLE, partner, t, MPI_COMM_WORLD);
    }
    for (int i = 0; i < n; ++i) sum = sum * 1.0000001 + buf[i];
  }
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  int provided = MPI_THREAD_SINGLE;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size != kRanks || provided != MPI_THREAD_MULTIPLE) {
    if (rank == 0) std::fprintf(stderr, "threads: needs %d ranks and MPI_THREAD_MULTIPLE\n", kRanks);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  std::array<double, kThreads> results{};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back([&results, rank, t] { results[t] = run_thread(rank, t); });
  for (auto& th : threads) th.join();
  double checksum = 0.0;
  for (double r : results) checksum = checksum * 1.0000001 + r;

  std::array<double, kRanks> all{};
  MPI_Gather(&checksum, 1, MPI_DOUBLE, all.data(), 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (rank == 0)
    for (int r = 0; r < kRanks; ++r) std::printf("threads rank %d checksum %a\n", r, all[r]);
  MPI_Finalize();
  return 0;
}
