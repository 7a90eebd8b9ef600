/* I/O-bound: PLANT_RANK writes PLANT_MB MiB through MPI-IO (MPI_File_write of 4 MiB blocks on
 * MPI_COMM_SELF, then MPI_File_sync) to PLANT_DIR (default /tmp); the others wait at a barrier. */
#include <string.h>
#include <unistd.h>

#include "plant.h"

int main(int argc, char **argv) {
  int rank, size;
  plant_start(&argc, &argv, &rank, &size);
  double x = spin_ms(20);
  if (rank == plant_rank()) {
    const char *dir = getenv("PLANT_DIR") ? getenv("PLANT_DIR") : "/tmp";
    char path[4096];
    snprintf(path, sizeof path, "%s/hpcmon-diagnosis-io-%d.dat", dir, (int)getpid());
    const int block = 4 * 1024 * 1024;
    char *data = malloc(block);
    memset(data, 'x', block);
    MPI_File file;
    if (MPI_File_open(MPI_COMM_SELF, path, MPI_MODE_CREATE | MPI_MODE_WRONLY, MPI_INFO_NULL, &file) != MPI_SUCCESS)
      MPI_Abort(MPI_COMM_WORLD, 4);
    for (long written = 0; written < plant_mb() * 1024 * 1024; written += block)
      MPI_File_write(file, data, block, MPI_CHAR, MPI_STATUS_IGNORE);
    MPI_File_sync(file);
    MPI_File_close(&file);
    unlink(path);
    free(data);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) printf("io %g\n", x);
  MPI_Finalize();
  return 0;
}
