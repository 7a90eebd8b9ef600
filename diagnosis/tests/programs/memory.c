/* Memory growth: PLANT_RANK allocates PLANT_MB MiB in 8 steps, touching every page, and
 * never frees it (a leak); every rank works 8 x 10 ms. */
#include <string.h>

#include "plant.h"

int main(int argc, char **argv) {
  int rank, size;
  plant_start(&argc, &argv, &rank, &size);
  const size_t step_bytes = (size_t)plant_mb() * 1024 * 1024 / 8;
  double x = 0;
  for (int step = 0; step < 8; ++step) {
    if (rank == plant_rank()) {
      char *leak = malloc(step_bytes);
      if (!leak) MPI_Abort(MPI_COMM_WORLD, 3);
      memset(leak, step + 1, step_bytes);
      x += leak[step_bytes / 2];
    }
    x += spin_ms(10);
    MPI_Barrier(MPI_COMM_WORLD);
  }
  if (rank == 0) printf("memory %g\n", x);
  MPI_Finalize();
  return 0;
}
