// Known-traffic workload (C++): a full 8 x 8 traffic matrix with a different size in every
// cell, 8 ranks. Rank s sends 8s + d + 1 ints to every other rank d with MPI_Isend; each rank
// receives its 7 messages in arrival order with MPI_Probe(MPI_ANY_SOURCE) + MPI_Get_count +
// MPI_Recv of exactly that size, then completes its sends with one MPI_Waitall.
// World rank 0 gathers one checksum per rank and prints it with %a.
// Expected calls, bytes and traffic: traffic_matrix.expected (same folder).
#include <mpi.h>

#include <array>
#include <cstdio>
#include <vector>

namespace {

constexpr int kRanks = 8;

int cell_ints(int src, int dst) { return 8 * src + dst + 1; }

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size != kRanks) {
    if (rank == 0) std::fprintf(stderr, "traffic_matrix: needs exactly %d ranks\n", kRanks);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }

  std::array<std::vector<int>, kRanks> out;
  std::vector<MPI_Request> sends;
  for (int d = 0; d < kRanks; ++d) {
    if (d == rank) continue;
    out[d].resize(static_cast<std::size_t>(cell_ints(rank, d)));
    for (std::size_t i = 0; i < out[d].size(); ++i) out[d][i] = 1000 * rank + 10 * d + static_cast<int>(i);
    sends.emplace_back();
    MPI_Isend(out[d].data(), cell_ints(rank, d), MPI_INT, d, 50, MPI_COMM_WORLD, &sends.back());
  }

  std::array<std::vector<int>, kRanks> in;
  for (int k = 0; k < kRanks - 1; ++k) {
    MPI_Status probed;
    MPI_Probe(MPI_ANY_SOURCE, 50, MPI_COMM_WORLD, &probed);
    int count = 0;
    MPI_Get_count(&probed, MPI_INT, &count);
    std::vector<int>& slot = in[static_cast<std::size_t>(probed.MPI_SOURCE)];
    slot.resize(static_cast<std::size_t>(count));
    MPI_Recv(slot.data(), count, MPI_INT, probed.MPI_SOURCE, 50, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
  MPI_Waitall(static_cast<int>(sends.size()), sends.data(), MPI_STATUSES_IGNORE);

  double checksum = 0.0;
  for (const auto& v : in)
    for (int x : v) checksum = checksum * 1.0000001 + x;

  std::array<double, kRanks> all{};
  MPI_Gather(&checksum, 1, MPI_DOUBLE, all.data(), 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (rank == 0)
    for (int r = 0; r < kRanks; ++r) std::printf("traffic_matrix rank %d checksum %a\n", r, all[r]);
  MPI_Finalize();
  return 0;
}
