/* Load imbalance: PLANT_RANK computes PLANT_MS more than the others, spread over 4 steps
 * that end in MPI_Allreduce, where the other ranks wait for it. */
#include "plant.h"

int main(int argc, char **argv) {
  int rank, size;
  plant_start(&argc, &argv, &rank, &size);
  double x = 0;
  for (int step = 0; step < 4; ++step) {
    x += spin_ms(20 + (rank == plant_rank() ? plant_ms() / 4 : 0));
    double sum;
    MPI_Allreduce(&x, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    x = sum / size;
  }
  if (rank == 0) printf("imbalance %g\n", x);
  MPI_Finalize();
  return 0;
}
