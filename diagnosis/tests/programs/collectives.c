/* Collective-dominated: PLANT_RANK spends PLANT_MS in MPI_Allreduce of 1 MiB on a
 * communicator of its own (no waiting for anyone), beside 50 ms of work on every rank; the
 * other ranks wait for it in a barrier. */
#include "plant.h"

int main(int argc, char **argv) {
  int rank, size;
  plant_start(&argc, &argv, &rank, &size);
  static double in[131072], out[131072];
  MPI_Comm own;
  MPI_Comm_split(MPI_COMM_WORLD, rank, 0, &own);
  double x = spin_ms(50);
  if (rank == plant_rank()) {
    double spent = 0;
    while (spent < plant_ms()) {
      const double t0 = now_ms();
      MPI_Allreduce(in, out, 131072, MPI_DOUBLE, MPI_SUM, own);
      spent += now_ms() - t0;
      in[0] = out[0] + 1;
    }
    x += in[0];
  }
  MPI_Comm_free(&own);
  /* Every rank waits here, inside MPI, for the planted rank: MPI_Finalize's own synchronisation
   * would otherwise count as the waiting rank's time outside MPI. */
  MPI_Barrier(MPI_COMM_WORLD);
  double sum;
  MPI_Reduce(&x, &sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
  if (rank == 0) printf("collectives %g\n", sum);
  MPI_Finalize();
  return 0;
}
