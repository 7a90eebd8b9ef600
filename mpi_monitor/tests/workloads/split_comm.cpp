// Known-traffic workload (C++): traffic on split communicators is recorded with WORLD ranks,
// 6 ranks. MPI_Comm_split by parity with key = -rank reverses the order, so sub-communicator
// ranks differ from world ranks:
//   colour 0: sub 0 = world 4, sub 1 = world 2, sub 2 = world 0
//   colour 1: sub 0 = world 5, sub 1 = world 3, sub 2 = world 1
// World rank 0 gathers one checksum per rank and prints it with %a.
// Expected calls, bytes and traffic: split_comm.expected (same folder).
#include <mpi.h>

#include <array>
#include <cstdio>
#include <vector>

namespace {

constexpr int kRanks = 6;
double checksum = 0.0;

template <typename T>
void fold(const T* v, int n) {
  for (int i = 0; i < n; ++i) checksum = checksum * 1.0000001 + static_cast<double>(v[i]);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size != kRanks) {
    if (rank == 0) std::fprintf(stderr, "split_comm: needs exactly %d ranks\n", kRanks);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  MPI_Comm half = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, rank % 2, -rank, &half);
  int sub = 0, sub_size = 0;
  MPI_Comm_rank(half, &sub);
  MPI_Comm_size(half, &sub_size);

  // 1. MPI_Send sub 0 -> sub 2 (world 4 -> 0, world 5 -> 1): 9 doubles. Sub 2 receives it
  //    with MPI_ANY_SOURCE.
  std::vector<double> nine(9);
  if (sub == 0) {
    for (int i = 0; i < 9; ++i) nine[i] = rank + i * 0.5;
    MPI_Send(nine.data(), 9, MPI_DOUBLE, 2, 30, half);
  } else if (sub == 2) {
    MPI_Status st;
    MPI_Recv(nine.data(), 9, MPI_DOUBLE, MPI_ANY_SOURCE, 30, half, &st);
    fold(nine.data(), 9);
    checksum += st.MPI_SOURCE;
  }

  // 2. MPI_Sendrecv around the sub-communicator ring: 1 int to sub (s + 1) % 3, from (s + 2) % 3.
  int out = 100 * rank + sub, in = 0;
  MPI_Sendrecv(&out, 1, MPI_INT, (sub + 1) % sub_size, 31, &in, 1, MPI_INT,
               (sub + sub_size - 1) % sub_size, 31, half, MPI_STATUS_IGNORE);
  fold(&in, 1);

  // 3. MPI_Bcast from sub 1 (world 2 or 3): 6 ints.
  std::array<int, 6> six{};
  for (int i = 0; i < 6; ++i) six[i] = sub == 1 ? rank * 7 + i : 0;
  MPI_Bcast(six.data(), 6, MPI_INT, 1, half);
  fold(six.data(), 6);

  // 4. MPI_Allreduce on the sub-communicator: 2 doubles summed.
  std::array<double, 2> mine{rank * 0.25, rank * -1.5}, sum{};
  MPI_Allreduce(mine.data(), sum.data(), 2, MPI_DOUBLE, MPI_SUM, half);
  fold(sum.data(), 2);

  MPI_Comm_free(&half);

  std::array<double, kRanks> all{};
  MPI_Gather(&checksum, 1, MPI_DOUBLE, all.data(), 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (rank == 0)
    for (int r = 0; r < kRanks; ++r) std::printf("split_comm rank %d checksum %a\n", r, all[r]);
  MPI_Finalize();
  return 0;
}
