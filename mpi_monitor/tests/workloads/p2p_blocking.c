/* Known-traffic workload: blocking point-to-point of every kind, 4 ranks.
 *
 * Pairs are (0,1) and (2,3) (partner = rank ^ 1); rings use (rank +/- 1) mod 4.
 * Every rank folds what it received into one checksum; rank 0 gathers the
 * checksums and prints them with %a so outputs compare bit for bit.
 * Expected calls, bytes and traffic: p2p_blocking.expected (same folder). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "workload.h"

enum { kRanks = 4 };

int main(int argc, char **argv) {
  int rank, size;
  workload_start(&argc, &argv, kRanks, "p2p_blocking", &rank, &size);
  const int partner = rank ^ 1;
  const int next = (rank + 1) % kRanks, prev = (rank + kRanks - 1) % kRanks;
  const int even = (rank % 2) == 0;
  double d[100];
  int n[100];
  MPI_Status status;

  /* 1. MPI_Send / MPI_Recv: even -> odd 10 doubles (80 B); odd -> even 5 ints (20 B)
   *    into a 100-int receive with MPI_STATUS_IGNORE (counts the 20 B actually received). */
  if (even) {
    for (int i = 0; i < 10; ++i) d[i] = 0.1 * (i + 1) + rank;
    MPI_Send(d, 10, MPI_DOUBLE, partner, 1, MPI_COMM_WORLD);
    MPI_Recv(n, 100, MPI_INT, partner, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    fold_i(n, 5);
  } else {
    MPI_Recv(d, 10, MPI_DOUBLE, partner, 1, MPI_COMM_WORLD, &status);
    fold_d(d, 10);
    for (int i = 0; i < 5; ++i) n[i] = 7 * i + rank;
    MPI_Send(n, 5, MPI_INT, partner, 2, MPI_COMM_WORLD);
  }

  /* 2. MPI_Ssend odd -> even 3 doubles (24 B), received with MPI_ANY_SOURCE / MPI_ANY_TAG. */
  if (even) {
    MPI_Recv(d, 100, MPI_DOUBLE, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
    fold_d(d, 3);
    checksum += status.MPI_SOURCE;
  } else {
    for (int i = 0; i < 3; ++i) d[i] = 1.5 * i - rank;
    MPI_Ssend(d, 3, MPI_DOUBLE, partner, 3, MPI_COMM_WORLD);
  }

  /* 3. MPI_Bsend even -> odd 7 ints (28 B) through an attached buffer. */
  {
    static char attached[1024 + MPI_BSEND_OVERHEAD];
    MPI_Buffer_attach(attached, (int)sizeof attached);
    if (even) {
      for (int i = 0; i < 7; ++i) n[i] = 100 + i * rank;
      MPI_Bsend(n, 7, MPI_INT, partner, 4, MPI_COMM_WORLD);
    } else {
      MPI_Recv(n, 7, MPI_INT, partner, 4, MPI_COMM_WORLD, &status);
      fold_i(n, 7);
    }
    void *detached;
    int detached_size;
    MPI_Buffer_detach(&detached, &detached_size);
  }

  /* 4. MPI_Rsend even -> odd 4 doubles (32 B): odd posts MPI_Irecv before the barrier,
   *    even sends after it, so the receive is ready as MPI_Rsend requires. */
  {
    MPI_Request ready;
    if (!even) MPI_Irecv(d, 4, MPI_DOUBLE, partner, 5, MPI_COMM_WORLD, &ready);
    MPI_Barrier(MPI_COMM_WORLD);
    if (even) {
      for (int i = 0; i < 4; ++i) d[i] = 2.25 * i + rank;
      MPI_Rsend(d, 4, MPI_DOUBLE, partner, 5, MPI_COMM_WORLD);
    } else {
      MPI_Wait(&ready, &status);
      fold_d(d, 4);
    }
  }

  /* 5. MPI_Sendrecv around the ring: 6 doubles (48 B) to next, 6 from prev. */
  {
    double out[6], in[6];
    for (int i = 0; i < 6; ++i) out[i] = rank * 10.0 + i;
    MPI_Sendrecv(out, 6, MPI_DOUBLE, next, 6, in, 6, MPI_DOUBLE, prev, 6, MPI_COMM_WORLD, &status);
    fold_d(in, 6);
  }

  /* 6. MPI_Sendrecv_replace the other way: 2 doubles (16 B) to prev, from next. */
  {
    double both[2] = {rank + 0.5, rank + 0.25};
    MPI_Sendrecv_replace(both, 2, MPI_DOUBLE, prev, 7, next, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    fold_d(both, 2);
  }

  /* 7. MPI_PROC_NULL: a send of 100 doubles and a receive of 100 doubles that move nothing. */
  MPI_Send(d, 100, MPI_DOUBLE, MPI_PROC_NULL, 8, MPI_COMM_WORLD);
  MPI_Recv(d, 100, MPI_DOUBLE, MPI_PROC_NULL, 8, MPI_COMM_WORLD, &status);

  /* 8. MPI_ANY_SOURCE fan-in: rank r > 0 sends r doubles (8r B) to rank 0, which receives
   *    three messages from whoever comes first and folds them in source order. */
  if (rank == 0) {
    double got[kRanks][kRanks];
    for (int k = 1; k < kRanks; ++k) {
      double tmp[kRanks];
      MPI_Recv(tmp, kRanks, MPI_DOUBLE, MPI_ANY_SOURCE, 9, MPI_COMM_WORLD, &status);
      for (int i = 0; i < status.MPI_SOURCE; ++i) got[status.MPI_SOURCE][i] = tmp[i];
    }
    for (int src = 1; src < kRanks; ++src) fold_d(got[src], src);
  } else {
    double mine[kRanks];
    for (int i = 0; i < rank; ++i) mine[i] = rank / 3.0 + i;
    MPI_Send(mine, rank, MPI_DOUBLE, 0, 9, MPI_COMM_WORLD);
  }

  /* Result: rank 0 gathers one double per rank. */
  double all[kRanks];
  MPI_Gather(&checksum, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (rank == 0)
    for (int r = 0; r < kRanks; ++r) printf("p2p_blocking rank %d checksum %a\n", r, all[r]);
  MPI_Finalize();
  return 0;
}
