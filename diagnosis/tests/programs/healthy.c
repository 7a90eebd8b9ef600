/* Healthy: every rank computes the same 10 x 30 ms, exchanges 1 KiB with its neighbours and
 * reduces one value per step. No finding expected. */
#include "plant.h"

int main(int argc, char **argv) {
  int rank, size;
  plant_start(&argc, &argv, &rank, &size);
  double x = 0, out[128], in[128];
  for (int i = 0; i < 128; ++i) out[i] = rank + i;
  for (int step = 0; step < 10; ++step) {
    x += spin_ms(30);
    MPI_Sendrecv(out, 128, MPI_DOUBLE, (rank + 1) % size, 1, in, 128, MPI_DOUBLE, (rank + size - 1) % size, 1,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    double sum;
    MPI_Allreduce(&x, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    x = sum / size + in[0] * 1e-12;
  }
  if (rank == 0) printf("healthy %g\n", x);
  MPI_Finalize();
  return 0;
}
