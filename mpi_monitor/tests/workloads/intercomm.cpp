// Known-traffic workload (C++): peers on an intercommunicator, on a duplicate of
// MPI_COMM_WORLD and on a merged intercommunicator are all recorded as WORLD ranks
// (dst_world 0, since every process is in our MPI_COMM_WORLD), 4 ranks.
//   half   = MPI_Comm_split by parity: local rank i is world 2i (even) or 2i+1 (odd)
//   inter  = MPI_Intercomm_create(half, leader 0, MPI_COMM_WORLD, remote leader world 1 / 0)
//   dup    = MPI_Comm_dup(MPI_COMM_WORLD)
//   merged = MPI_Intercomm_merge(inter, high = odd): merged 0, 1, 2, 3 = world 0, 2, 1, 3
// World rank 0 gathers one checksum per rank and prints it with %a.
// Expected calls, bytes and traffic: intercomm.expected (same folder).
#include <mpi.h>

#include <array>
#include <cstdio>

namespace {

constexpr int kRanks = 4;
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
    if (rank == 0) std::fprintf(stderr, "intercomm: needs exactly %d ranks\n", kRanks);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  const bool even = rank % 2 == 0;
  MPI_Comm half, inter, dup, merged;
  MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &half);
  int local = 0;
  MPI_Comm_rank(half, &local);
  MPI_Intercomm_create(half, 0, MPI_COMM_WORLD, even ? 1 : 0, 60, &inter);

  // 1. Across the intercommunicator: even local i sends 5 doubles to remote i (world 2i+1);
  //    odd local i answers 2 ints to remote (i+1) mod 2 (world 2, resp. 0).
  std::array<double, 5> five{};
  std::array<int, 2> two{};
  if (even) {
    for (int i = 0; i < 5; ++i) five[i] = rank + i * 0.2;
    MPI_Send(five.data(), 5, MPI_DOUBLE, local, 61, inter);
    MPI_Recv(two.data(), 2, MPI_INT, MPI_ANY_SOURCE, 62, inter, MPI_STATUS_IGNORE);
    fold(two.data(), 2);
  } else {
    MPI_Recv(five.data(), 5, MPI_DOUBLE, local, 61, inter, MPI_STATUS_IGNORE);
    fold(five.data(), 5);
    two = {rank, 10 * rank};
    MPI_Send(two.data(), 2, MPI_INT, (local + 1) % 2, 62, inter);
  }

  // 2. Intercommunicator broadcast from world 0: it passes MPI_ROOT, world 2 MPI_PROC_NULL,
  //    the odd group the root's rank in the remote group (0). 3 ints.
  std::array<int, 3> three{};
  if (rank == 0) three = {7, 8, 9};
  const int root = even ? (local == 0 ? MPI_ROOT : MPI_PROC_NULL) : 0;
  MPI_Bcast(three.data(), 3, MPI_INT, root, inter);
  if (!even) fold(three.data(), 3);

  // 3. Ring on the duplicate of MPI_COMM_WORLD: 1 double to rank + 1.
  MPI_Comm_dup(MPI_COMM_WORLD, &dup);
  double out = rank * 2.5, in = 0.0;
  MPI_Sendrecv(&out, 1, MPI_DOUBLE, (rank + 1) % kRanks, 63, &in, 1, MPI_DOUBLE,
               (rank + kRanks - 1) % kRanks, 63, dup, MPI_STATUS_IGNORE);
  fold(&in, 1);

  // 4. Ring on the merged communicator: 1 int to merged rank + 1.
  MPI_Intercomm_merge(inter, even ? 0 : 1, &merged);
  int m = 0;
  MPI_Comm_rank(merged, &m);
  int iout = 100 + rank, iin = 0;
  MPI_Sendrecv(&iout, 1, MPI_INT, (m + 1) % kRanks, 64, &iin, 1, MPI_INT, (m + kRanks - 1) % kRanks,
               64, merged, MPI_STATUS_IGNORE);
  fold(&iin, 1);

  MPI_Comm_free(&merged);
  MPI_Comm_free(&dup);
  MPI_Comm_free(&inter);
  MPI_Comm_free(&half);

  std::array<double, kRanks> all{};
  MPI_Gather(&checksum, 1, MPI_DOUBLE, all.data(), 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (rank == 0)
    for (int r = 0; r < kRanks; ++r) std::printf("intercomm rank %d checksum %a\n", r, all[r]);
  MPI_Finalize();
  return 0;
}
