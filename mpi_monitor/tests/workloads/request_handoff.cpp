// Known-traffic workload (C++): receive requests completed by another thread than the one that
// posted them, 2 ranks, MPI_THREAD_MULTIPLE. Rank 1 posts MPI_Irecv on its main thread and a
// helper thread completes it with MPI_Wait, three times: the posting thread's table keeps a
// stale entry (the helper's table never had it, so those receives count 0 bytes). Then both
// ranks exchange with Irecv + Isend + Waitall on their main thread: every new request must
// forget a stale entry of its handle, so the bytes stay exact. World rank 0 gathers one
// checksum per rank and prints it with %a.
// Expected calls, bytes and traffic: request_handoff.expected (same folder).
#include <mpi.h>

#include <cstdio>
#include <thread>

namespace {
constexpr int kRanks = 2, kHandoffs = 3, kExchanges = 2;
}  // namespace

int main(int argc, char** argv) {
  int provided = MPI_THREAD_SINGLE;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size != kRanks || provided < MPI_THREAD_MULTIPLE) {
    if (rank == 0) std::fprintf(stderr, "request_handoff: needs %d ranks and MPI_THREAD_MULTIPLE\n", kRanks);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  const int partner = 1 - rank;
  double checksum = 0.0;

  // 1. 8 ints (32 B) from rank 0 to rank 1; rank 1's helper thread completes each receive.
  for (int k = 0; k < kHandoffs; ++k) {
    int buf[8];
    if (rank == 0) {
      for (int i = 0; i < 8; ++i) buf[i] = k * 100 + i;
      MPI_Send(buf, 8, MPI_INT, 1, 40, MPI_COMM_WORLD);
    } else {
      MPI_Request r;
      MPI_Irecv(buf, 8, MPI_INT, 0, 40, MPI_COMM_WORLD, &r);
      std::thread helper([&r] { MPI_Wait(&r, MPI_STATUS_IGNORE); });
      helper.join();
      for (int v : buf) checksum = checksum * 1.0000001 + v;
    }
  }

  // 2. Both ranks on their main thread: 3 doubles (24 B) arrive in a receive posted for 4.
  for (int k = 0; k < kExchanges; ++k) {
    double out[3] = {rank + k * 0.5, rank * 2.0 + k, rank * 3.0 - k}, in[4] = {};
    MPI_Request reqs[2];
    MPI_Irecv(in, 4, MPI_DOUBLE, partner, 41, MPI_COMM_WORLD, &reqs[0]);
    MPI_Isend(out, 3, MPI_DOUBLE, partner, 41, MPI_COMM_WORLD, &reqs[1]);
    MPI_Waitall(2, reqs, MPI_STATUSES_IGNORE);
    for (int i = 0; i < 3; ++i) checksum = checksum * 1.0000001 + in[i];
  }

  double all[kRanks];
  MPI_Gather(&checksum, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (rank == 0)
    for (int r = 0; r < kRanks; ++r) std::printf("request_handoff rank %d checksum %a\n", r, all[r]);
  MPI_Finalize();
  return 0;
}
