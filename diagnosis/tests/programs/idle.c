/* Low CPU use: PLANT_RANK sleeps PLANT_MS in 4 parts (outside MPI, off the CPU) beside the
 * 4 x 20 ms of work every rank does; each step ends in MPI_Allreduce. */
#include <unistd.h>

#include "plant.h"

int main(int argc, char **argv) {
  int rank, size;
  plant_start(&argc, &argv, &rank, &size);
  double x = 0;
  for (int step = 0; step < 4; ++step) {
    x += spin_ms(20);
    if (rank == plant_rank()) usleep((useconds_t)(plant_ms() * 1000 / 4));
    double sum;
    MPI_Allreduce(&x, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    x = sum / size;
  }
  if (rank == 0) printf("idle %g\n", x);
  MPI_Finalize();
  return 0;
}
