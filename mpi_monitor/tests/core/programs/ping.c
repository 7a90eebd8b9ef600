/* 2+ ranks: rank 0 sends `sends` messages of 8 doubles to rank 1 (default 7).
 * "pcontrol": 5 more sends between MPI_Pcontrol(0) and MPI_Pcontrol(1), not recorded.
 * "abort": rank 1 calls MPI_Abort(MPI_COMM_WORLD, 7) after receiving.
 * "maps": each rank prints which counter libraries (libpapi, libpfm, libhwloc) it has mapped
 *         after MPI_Init, as "ping: rank R maps libpapi N libpfm N libhwloc N".
 * Prints one checksum line from rank 1. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_counter_libraries(int rank) {
  const char *libs[] = {"libpapi", "libpfm", "libhwloc"};
  int found[3] = {0, 0, 0};
  char line[4096];
  FILE *maps = fopen("/proc/self/maps", "r");
  while (maps && fgets(line, sizeof line, maps))
    for (int i = 0; i < 3; ++i)
      if (strstr(line, libs[i])) found[i] = 1;
  if (maps) fclose(maps);
  printf("ping: rank %d maps libpapi %d libpfm %d libhwloc %d\n", rank, found[0], found[1], found[2]);
  fflush(stdout);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  int sends = 7, pcontrol = 0, do_abort = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "maps") == 0) print_counter_libraries(rank);
    else if (strcmp(argv[i], "pcontrol") == 0) pcontrol = 1;
    else if (strcmp(argv[i], "abort") == 0) do_abort = 1;
    else sends = atoi(argv[i]);
  }
  double buf[8], sum = 0;
  for (int k = 0; k < sends; ++k) {
    for (int i = 0; i < 8; ++i) buf[i] = rank == 0 ? k * 0.5 + i : 0;
    if (rank == 0) MPI_Send(buf, 8, MPI_DOUBLE, 1, k, MPI_COMM_WORLD);
    if (rank == 1) {
      MPI_Recv(buf, 8, MPI_DOUBLE, 0, k, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      for (int i = 0; i < 8; ++i) sum += buf[i];
    }
  }
  if (pcontrol) {
    MPI_Pcontrol(0);
    for (int k = 0; k < 5; ++k) {
      if (rank == 0) MPI_Send(buf, 8, MPI_DOUBLE, 1, 100 + k, MPI_COMM_WORLD);
      if (rank == 1) MPI_Recv(buf, 8, MPI_DOUBLE, 0, 100 + k, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
    MPI_Pcontrol(1);
  }
  if (rank == 1) {
    printf("ping: checksum %.17g\n", sum);
    fflush(stdout);
    if (do_abort) MPI_Abort(MPI_COMM_WORLD, 7);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Finalize();
  return 0;
}
