/* A small MPI program for the demo: 1-D heat diffusion with halo exchange and a
 * global residual every few steps. Rank 0 gets a little more work, so the record
 * shows a real imbalance and the time the other ranks spend waiting in MPI. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  const int steps = argc > 1 ? atoi(argv[1]) : 2000;
  const int cells = 20000 + (rank == 0 ? 10000 : 0);
  double *u = calloc(cells + 2, sizeof *u), *next = calloc(cells + 2, sizeof *next);
  if (!u || !next) MPI_Abort(MPI_COMM_WORLD, 1);
  if (rank == 0) u[1] = 1e6;
  const int left = rank > 0 ? rank - 1 : MPI_PROC_NULL;
  const int right = rank < size - 1 ? rank + 1 : MPI_PROC_NULL;

  double residual = 0;
  for (int step = 0; step < steps; ++step) {
    MPI_Sendrecv(&u[1], 1, MPI_DOUBLE, left, 0, &u[cells + 1], 1, MPI_DOUBLE, right, 0,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Sendrecv(&u[cells], 1, MPI_DOUBLE, right, 1, &u[0], 1, MPI_DOUBLE, left, 1,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    double local = 0;
    for (int i = 1; i <= cells; ++i) {
      next[i] = u[i] + 0.25 * (u[i - 1] - 2 * u[i] + u[i + 1]);
      local += (next[i] - u[i]) * (next[i] - u[i]);
    }
    double *t = u; u = next; next = t;
    if (step % 10 == 0) MPI_Allreduce(&local, &residual, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  }
  double total = 0, local_sum = 0;
  for (int i = 1; i <= cells; ++i) local_sum += u[i];
  MPI_Reduce(&local_sum, &total, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
  if (rank == 0) printf("heat1d: %d ranks, %d steps, total heat %.6e, last residual %.6e\n", size, steps, total, residual);
  free(u); free(next);
  MPI_Finalize();
  return 0;
}
