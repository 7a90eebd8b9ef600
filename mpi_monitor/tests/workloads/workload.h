/* Shared start of the C workloads: the checksum each program prints with %a, and a start
 * that insists on the rank count its .expected table was derived for. The MPI calls made
 * here (MPI_Init, MPI_Comm_rank, MPI_Comm_size) are the ones the tables count. */
#pragma once
#include <mpi.h>
#include <stdio.h>

static double checksum;

static inline void fold_d(const double *v, int n) {
  for (int i = 0; i < n; ++i) checksum = checksum * 1.0000001 + v[i];
}

static inline void fold_i(const int *v, int n) {
  for (int i = 0; i < n; ++i) checksum = checksum * 1.0000001 + (double)v[i];
}

static inline void workload_start(int *argc, char ***argv, int ranks, const char *name, int *rank, int *size) {
  MPI_Init(argc, argv);
  MPI_Comm_rank(MPI_COMM_WORLD, rank);
  MPI_Comm_size(MPI_COMM_WORLD, size);
  if (*size != ranks) {
    if (*rank == 0) fprintf(stderr, "%s: needs exactly %d ranks\n", name, ranks);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
}
