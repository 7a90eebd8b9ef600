/* Known-traffic workload: every blocking collective once (MPI_Allreduce and MPI_Gather
 * twice), 5 ranks, with counts chosen so that each call's bytes differ. Roots vary.
 * Rank 0 gathers one checksum per rank and prints it with %a.
 * Expected calls, bytes and traffic: collectives.expected (same folder). */
#include <mpi.h>
#include <stdio.h>

#include "workload.h"

enum { kRanks = 5 };

int main(int argc, char **argv) {
  int rank, size;
  workload_start(&argc, &argv, kRanks, "collectives", &rank, &size);
  const MPI_Comm w = MPI_COMM_WORLD;
  double d[64], dr[64];
  int n[64], nr[64], counts[kRanks], displs[kRanks];

  /* MPI_Bcast, root 0: 4 doubles. */
  for (int i = 0; i < 4; ++i) d[i] = rank == 0 ? 1.0 / (i + 3) : -1.0;
  MPI_Bcast(d, 4, MPI_DOUBLE, 0, w);
  fold_d(d, 4);

  /* MPI_Reduce, root 1: 3 doubles summed. */
  for (int i = 0; i < 3; ++i) d[i] = rank * 0.1 + i;
  MPI_Reduce(d, dr, 3, MPI_DOUBLE, MPI_SUM, 1, w);
  if (rank == 1) fold_d(dr, 3);

  /* MPI_Allreduce: 2 doubles max, then 3 ints summed in place. */
  d[0] = rank * 1.5;
  d[1] = -rank * 0.5;
  MPI_Allreduce(d, dr, 2, MPI_DOUBLE, MPI_MAX, w);
  fold_d(dr, 2);
  for (int i = 0; i < 3; ++i) n[i] = rank + i;
  MPI_Allreduce(MPI_IN_PLACE, n, 3, MPI_INT, MPI_SUM, w);
  fold_i(n, 3);

  /* MPI_Gather, root 2: 1 double per rank. */
  d[0] = rank + 0.0625;
  MPI_Gather(d, 1, MPI_DOUBLE, dr, 1, MPI_DOUBLE, 2, w);
  if (rank == 2) fold_d(dr, kRanks);

  /* MPI_Gatherv, root 0: rank r sends r + 1 ints. */
  for (int r = 0, off = 0; r < kRanks; off += r + 1, ++r) counts[r] = r + 1, displs[r] = off;
  for (int i = 0; i <= rank; ++i) n[i] = 10 * rank + i;
  MPI_Gatherv(n, rank + 1, MPI_INT, nr, counts, displs, MPI_INT, 0, w);
  if (rank == 0) fold_i(nr, 15);

  /* MPI_Scatter, root 3: 2 ints to each rank. */
  for (int i = 0; i < 2 * kRanks; ++i) n[i] = rank == 3 ? 3 * i + 1 : 0;
  MPI_Scatter(n, 2, MPI_INT, nr, 2, MPI_INT, 3, w);
  fold_i(nr, 2);

  /* MPI_Scatterv, root 0: rank r receives r + 1 doubles (counts/displs as for Gatherv). */
  for (int i = 0; i < 15; ++i) d[i] = rank == 0 ? i * 0.25 : 0.0;
  MPI_Scatterv(d, counts, displs, MPI_DOUBLE, dr, rank + 1, MPI_DOUBLE, 0, w);
  fold_d(dr, rank + 1);

  /* MPI_Allgather: 1 int from each rank. */
  n[0] = rank * rank;
  MPI_Allgather(n, 1, MPI_INT, nr, 1, MPI_INT, w);
  fold_i(nr, kRanks);

  /* MPI_Allgatherv: rank r contributes r + 1 doubles. */
  for (int i = 0; i <= rank; ++i) d[i] = rank + i / 8.0;
  MPI_Allgatherv(d, rank + 1, MPI_DOUBLE, dr, counts, displs, MPI_DOUBLE, w);
  fold_d(dr, 15);

  /* MPI_Alltoall: 2 ints to each rank. */
  for (int i = 0; i < 2 * kRanks; ++i) n[i] = rank * 100 + i;
  MPI_Alltoall(n, 2, MPI_INT, nr, 2, MPI_INT, w);
  fold_i(nr, 2 * kRanks);

  /* MPI_Alltoallv: rank s sends s + t + 1 ints to rank t. */
  {
    int scounts[kRanks], sdispls[kRanks], rcounts[kRanks], rdispls[kRanks];
    for (int t = 0, so = 0, ro = 0; t < kRanks; ++t) {
      scounts[t] = rank + t + 1, sdispls[t] = so, so += scounts[t];
      rcounts[t] = t + rank + 1, rdispls[t] = ro, ro += rcounts[t];
    }
    for (int i = 0; i < 64; ++i) n[i] = rank * 1000 + i;
    MPI_Alltoallv(n, scounts, sdispls, MPI_INT, nr, rcounts, rdispls, MPI_INT, w);
    fold_i(nr, rdispls[kRanks - 1] + rcounts[kRanks - 1]);
  }

  /* MPI_Alltoallw: to an even rank 2 ints, to an odd rank 1 double. */
  {
    int scounts[kRanks], sdispls[kRanks], rcounts[kRanks], rdispls[kRanks];
    MPI_Datatype stypes[kRanks], rtypes[kRanks];
    char sbuf[kRanks * 8], rbuf[kRanks * 8];
    for (int t = 0; t < kRanks; ++t) {
      scounts[t] = t % 2 == 0 ? 2 : 1;
      stypes[t] = t % 2 == 0 ? MPI_INT : MPI_DOUBLE;
      sdispls[t] = rdispls[t] = 8 * t;
      rcounts[t] = rank % 2 == 0 ? 2 : 1;
      rtypes[t] = rank % 2 == 0 ? MPI_INT : MPI_DOUBLE;
      if (t % 2 == 0) {
        int two[2] = {rank, t};
        __builtin_memcpy(sbuf + 8 * t, two, 8);
      } else {
        double one = rank + t / 16.0;
        __builtin_memcpy(sbuf + 8 * t, &one, 8);
      }
    }
    MPI_Alltoallw(sbuf, scounts, sdispls, stypes, rbuf, rcounts, rdispls, rtypes, w);
    for (int t = 0; t < kRanks; ++t) {
      if (rank % 2 == 0) {
        int two[2];
        __builtin_memcpy(two, rbuf + 8 * t, 8);
        fold_i(two, 2);
      } else {
        double one;
        __builtin_memcpy(&one, rbuf + 8 * t, 8);
        fold_d(&one, 1);
      }
    }
  }

  /* MPI_Reduce_scatter: rank r keeps r + 1 of the 15 summed ints. */
  for (int i = 0; i < 15; ++i) n[i] = rank + 2 * i;
  MPI_Reduce_scatter(n, nr, counts, MPI_INT, MPI_SUM, w);
  fold_i(nr, rank + 1);

  /* MPI_Reduce_scatter_block: 2 ints per rank of the 10 summed ints. */
  for (int i = 0; i < 2 * kRanks; ++i) n[i] = rank * i;
  MPI_Reduce_scatter_block(n, nr, 2, MPI_INT, MPI_SUM, w);
  fold_i(nr, 2);

  /* MPI_Scan and MPI_Exscan: 1 double each. */
  d[0] = rank + 0.5;
  MPI_Scan(d, dr, 1, MPI_DOUBLE, MPI_SUM, w);
  fold_d(dr, 1);
  dr[0] = 0.0;
  MPI_Exscan(d, dr, 1, MPI_DOUBLE, MPI_SUM, w);
  if (rank > 0) fold_d(dr, 1);

  MPI_Barrier(w);

  double all[kRanks];
  MPI_Gather(&checksum, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, 0, w);
  if (rank == 0)
    for (int r = 0; r < kRanks; ++r) printf("collectives rank %d checksum %a\n", r, all[r]);
  MPI_Finalize();
  return 0;
}
