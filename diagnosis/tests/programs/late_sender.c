/* Late sender: PLANT_RANK computes PLANT_MS / 4 longer than the others before each of 4
 * sends of 1 KiB to every other rank, which wait for it in MPI_Recv. */
#include "plant.h"

int main(int argc, char **argv) {
  int rank, size;
  plant_start(&argc, &argv, &rank, &size);
  const int late = plant_rank();
  double x = 0, buffer[128];
  for (int i = 0; i < 128; ++i) buffer[i] = i;
  for (int step = 0; step < 4; ++step) {
    x += spin_ms(20 + (rank == late ? plant_ms() / 4 : 0));
    if (rank == late) {
      for (int peer = 0; peer < size; ++peer)
        if (peer != late) MPI_Send(buffer, 128, MPI_DOUBLE, peer, step, MPI_COMM_WORLD);
    } else {
      MPI_Recv(buffer, 128, MPI_DOUBLE, late, step, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      x += buffer[0];
    }
  }
  if (rank == 0) printf("late_sender %g\n", x);
  MPI_Finalize();
  return 0;
}
