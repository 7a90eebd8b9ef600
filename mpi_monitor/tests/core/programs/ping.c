/* 2+ ranks: rank 0 sends `sends` messages of 8 doubles to rank 1 (default 7).
 * "pcontrol": 5 more sends between MPI_Pcontrol(0) and MPI_Pcontrol(1), not recorded.
 * "abort": rank 1 calls MPI_Abort(MPI_COMM_WORLD, 7) after receiving.
 * Prints one checksum line from rank 1. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  int sends = 7, pcontrol = 0, do_abort = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "pcontrol") == 0) pcontrol = 1;
    else if (strcmp(argv[i], "abort") == 0) do_abort = 1;
    else sends = atoi(argv[i]);
  }
  double buf[8], sum = 0;
  for (int k = 0; k < sends; ++k) {
    for (int i = 0; i < 8; ++i) buf[i] = rank == 0 ? k * 0.5 + i : 0;
    if (rank == 0) MPI_Send(buf, 8, MPI_DOUBLE, 1, k, MPI_COMM_WORLD);
    if (rank == 1) {
      MPI_Recv(buf, 8, MPI_DOUBLE, 0, k, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      for (int i = 0; i < 8; ++i) sum += buf[i];
    }
  }
  if (pcontrol) {
    MPI_Pcontrol(0);
    for (int k = 0; k < 5; ++k) {
      if (rank == 0) MPI_Send(buf, 8, MPI_DOUBLE, 1, 100 + k, MPI_COMM_WORLD);
      if (rank == 1) MPI_Recv(buf, 8, MPI_DOUBLE, 0, 100 + k, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
    MPI_Pcontrol(1);
  }
  if (rank == 1) {
    printf("ping: checksum %.17g\n", sum);
    fflush(stdout);
    if (do_abort) MPI_Abort(MPI_COMM_WORLD, 7);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Finalize();
  return 0;
}
