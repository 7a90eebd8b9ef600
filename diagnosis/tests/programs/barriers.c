/* Barrier overuse: every rank (PLANT_RANK among them) calls MPI_Barrier PLANT_COUNT times
 * between tiny steps of work. */
#include "plant.h"

int main(int argc, char **argv) {
  int rank, size;
  plant_start(&argc, &argv, &rank, &size);
  double x = 0;
  for (long i = 0; i < plant_count(); ++i) {
    x = x * 1.0000001 + i;
    MPI_Barrier(MPI_COMM_WORLD);
  }
  if (rank == 0) printf("barriers %g\n", x);
  MPI_Finalize();
  return 0;
}
