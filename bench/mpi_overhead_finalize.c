/* Finalize cost of the MPI preload against the number of ranks. Each rank first makes a
 * little traffic of several kinds (so its tables are not empty), then rank 0 times its own
 * MPI_Finalize, which with the preload includes the reduction to rank 0 and the record write.
 * Prints: finalize_ms <ms on rank 0> */
#include <mpi.h>
#include <stdio.h>
#include <time.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  double x[64] = {0}, y[64];
  for (int round = 0; round < 10; ++round) {
    MPI_Sendrecv(x, 64, MPI_DOUBLE, (rank + 1) % size, 0, y, 64, MPI_DOUBLE,
                 (rank + size - 1) % size, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Allreduce(x, y, 8, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    MPI_Bcast(x, 16, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const double t0 = now_ns();
  MPI_Finalize();
  const double ms = (now_ns() - t0) / 1e6;
  if (rank == 0) printf("finalize_ms %.3f\n", ms);
  return 0;
}
