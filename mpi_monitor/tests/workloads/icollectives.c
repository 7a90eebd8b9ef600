/* Known-traffic workload: non-blocking collectives, 3 ranks. Eight collectives are started
 * back to back and completed by one MPI_Waitall; MPI_Ibarrier is completed by MPI_Wait.
 * Rank 0 gathers one checksum per rank and prints it with %a.
 * Expected calls, bytes and traffic: icollectives.expected (same folder). */
#include <mpi.h>
#include <stdio.h>

#include "workload.h"

enum { kRanks = 3 };

int main(int argc, char **argv) {
  int rank, size;
  workload_start(&argc, &argv, kRanks, "icollectives", &rank, &size);
  const MPI_Comm w = MPI_COMM_WORLD;
  MPI_Request req[8];

  int bcast[5];                         /* MPI_Ibcast, root 2: 5 ints */
  double red_in[2], red_out[2];         /* MPI_Ireduce, root 0: 2 doubles */
  double all_in[4], all_out[4];         /* MPI_Iallreduce: 4 doubles */
  int gat_in[2], gat_out[2 * kRanks];   /* MPI_Igather, root 1: 2 ints per rank */
  double sca_in[kRanks], sca_out;       /* MPI_Iscatter, root 0: 1 double per rank */
  int ag_in[3], ag_out[3 * kRanks];     /* MPI_Iallgather: 3 ints per rank */
  double a2a_in[kRanks], a2a_out[kRanks];  /* MPI_Ialltoall: 1 double to each rank */
  double scan_in, scan_out;             /* MPI_Iscan: 1 double */

  for (int i = 0; i < 5; ++i) bcast[i] = rank == 2 ? 11 * i + 3 : -1;
  for (int i = 0; i < 2; ++i) red_in[i] = rank * 0.2 + i;
  for (int i = 0; i < 4; ++i) all_in[i] = rank - i * 0.125;
  for (int i = 0; i < 2; ++i) gat_in[i] = rank * 10 + i;
  for (int i = 0; i < kRanks; ++i) sca_in[i] = rank == 0 ? 0.5 + i : 0.0;
  for (int i = 0; i < 3; ++i) ag_in[i] = rank * 3 + i;
  for (int i = 0; i < kRanks; ++i) a2a_in[i] = rank * 1.25 + i;
  scan_in = rank + 0.75;

  MPI_Ibcast(bcast, 5, MPI_INT, 2, w, &req[0]);
  MPI_Ireduce(red_in, red_out, 2, MPI_DOUBLE, MPI_SUM, 0, w, &req[1]);
  MPI_Iallreduce(all_in, all_out, 4, MPI_DOUBLE, MPI_SUM, w, &req[2]);
  MPI_Igather(gat_in, 2, MPI_INT, gat_out, 2, MPI_INT, 1, w, &req[3]);
  MPI_Iscatter(sca_in, 1, MPI_DOUBLE, &sca_out, 1, MPI_DOUBLE, 0, w, &req[4]);
  MPI_Iallgather(ag_in, 3, MPI_INT, ag_out, 3, MPI_INT, w, &req[5]);
  MPI_Ialltoall(a2a_in, 1, MPI_DOUBLE, a2a_out, 1, MPI_DOUBLE, w, &req[6]);
  MPI_Iscan(&scan_in, &scan_out, 1, MPI_DOUBLE, MPI_SUM, w, &req[7]);
  MPI_Waitall(8, req, MPI_STATUSES_IGNORE);

  fold_i(bcast, 5);
  if (rank == 0) fold_d(red_out, 2);
  fold_d(all_out, 4);
  if (rank == 1) fold_i(gat_out, 2 * kRanks);
  fold_d(&sca_out, 1);
  fold_i(ag_out, 3 * kRanks);
  fold_d(a2a_out, kRanks);
  fold_d(&scan_out, 1);

  MPI_Ibarrier(w, &req[0]);
  MPI_Wait(&req[0], MPI_STATUS_IGNORE);

  double all[kRanks];
  MPI_Gather(&checksum, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, 0, w);
  if (rank == 0)
    for (int r = 0; r < kRanks; ++r) printf("icollectives rank %d checksum %a\n", r, all[r]);
  MPI_Finalize();
  return 0;
}
