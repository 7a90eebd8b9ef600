/* Known-traffic workload: communicators the tool never sees created, 2 ranks.
 * MPI_COMM_SELF (registered at MPI_Init) and the result of MPI_Comm_idup (registered on its
 * first wrapped call, once): peers translate to world ranks and sizes are known, so every
 * byte and traffic cell is exact. Rank 0 gathers one checksum per rank and prints it with %a.
 * Expected calls, bytes and traffic: comm_self_idup.expected (same folder). */
#include <mpi.h>
#include <stdio.h>

enum { kRanks = 2 };

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size != kRanks) {
    if (rank == 0) fprintf(stderr, "comm_self_idup: needs exactly %d ranks\n", kRanks);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  const int partner = 1 - rank;
  double checksum = 0;

  /* 1. MPI_COMM_SELF: 5 ints to ourselves (Isend + Recv + Wait), Allgather of 3 doubles. */
  int out[5], in[5];
  for (int i = 0; i < 5; ++i) out[i] = rank * 10 + i;
  MPI_Request send;
  MPI_Isend(out, 5, MPI_INT, 0, 30, MPI_COMM_SELF, &send);
  MPI_Recv(in, 5, MPI_INT, 0, 30, MPI_COMM_SELF, MPI_STATUS_IGNORE);
  MPI_Wait(&send, MPI_STATUS_IGNORE);
  double mine[3] = {rank + 0.25, rank + 0.5, rank + 0.75}, self_all[3];
  MPI_Allgather(mine, 3, MPI_DOUBLE, self_all, 3, MPI_DOUBLE, MPI_COMM_SELF);
  for (int i = 0; i < 5; ++i) checksum = checksum * 1.0000001 + in[i];
  for (int i = 0; i < 3; ++i) checksum = checksum * 1.0000001 + self_all[i];

  /* 2. A duplicate of MPI_COMM_WORLD made by MPI_Comm_idup: Allgather of 2 ints, Sendrecv of
   *    4 doubles with the partner. */
  MPI_Comm dup;
  MPI_Request dup_done;
  MPI_Comm_idup(MPI_COMM_WORLD, &dup, &dup_done);
  MPI_Wait(&dup_done, MPI_STATUS_IGNORE);
  int pair_out[2] = {rank, rank + 7}, pair_in[2 * kRanks];
  MPI_Allgather(pair_out, 2, MPI_INT, pair_in, 2, MPI_INT, dup);
  double dout[4] = {rank * 1.5, rank * 2.5, rank * 3.5, rank * 4.5}, din[4];
  MPI_Sendrecv(dout, 4, MPI_DOUBLE, partner, 31, din, 4, MPI_DOUBLE, partner, 31, dup, MPI_STATUS_IGNORE);
  MPI_Comm_free(&dup);
  for (int i = 0; i < 2 * kRanks; ++i) checksum = checksum * 1.0000001 + pair_in[i];
  for (int i = 0; i < 4; ++i) checksum = checksum * 1.0000001 + din[i];

  double all[kRanks];
  MPI_Gather(&checksum, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (rank == 0)
    for (int r = 0; r < kRanks; ++r) printf("comm_self_idup rank %d checksum %a\n", r, all[r]);
  MPI_Finalize();
  return 0;
}
