/* Small-message storm: PLANT_RANK sends PLANT_COUNT messages of 8 bytes to the next rank,
 * which receives them one by one. */
#include "plant.h"

int main(int argc, char **argv) {
  int rank, size;
  plant_start(&argc, &argv, &rank, &size);
  const int from = plant_rank(), to = (plant_rank() + 1) % size;
  const long n = plant_count();
  double v = rank, x = 0;
  for (long i = 0; i < n; ++i) {
    if (rank == from) {
      v += 1;
      MPI_Send(&v, 1, MPI_DOUBLE, to, 0, MPI_COMM_WORLD);
    } else if (rank == to) {
      MPI_Recv(&v, 1, MPI_DOUBLE, from, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      x += v;
    }
  }
  if (rank == to) printf("storm %g\n", x);
  MPI_Finalize();
  return 0;
}
