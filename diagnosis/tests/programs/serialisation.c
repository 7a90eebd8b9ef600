/* Serialisation on one rank: PLANT_RANK alone prepares data for PLANT_MS / 2 (twice), then
 * broadcasts 1 MiB from it; the other ranks wait in MPI_Bcast. */
#include "plant.h"

int main(int argc, char **argv) {
  int rank, size;
  plant_start(&argc, &argv, &rank, &size);
  static double data[131072];
  double x = 0;
  for (int phase = 0; phase < 2; ++phase) {
    if (rank == plant_rank()) {
      x += spin_ms(plant_ms() / 2);
      for (int i = 0; i < 131072; ++i) data[i] = x + i;
    }
    MPI_Bcast(data, 131072, MPI_DOUBLE, plant_rank(), MPI_COMM_WORLD);
    x += spin_ms(20) + data[7];
  }
  if (rank == 0) printf("serialisation %g\n", x);
  MPI_Finalize();
  return 0;
}
