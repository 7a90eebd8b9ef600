/* More live communicators than the preload's table holds: NDUPS duplicates of MPI_COMM_WORLD,
 * then ROUNDS MPI_Allgather of one int on each in turn (an Allgather needs the communicator's
 * size), then all freed. Usage: comm_flood NDUPS ROUNDS */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  const int ndups = argc > 1 ? atoi(argv[1]) : 600, rounds = argc > 2 ? atoi(argv[2]) : 20;
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Comm *comms = malloc(sizeof(MPI_Comm) * (size_t)ndups);
  int *all = malloc(sizeof(int) * (size_t)size);
  for (int i = 0; i < ndups; ++i) MPI_Comm_dup(MPI_COMM_WORLD, &comms[i]);
  long sum = 0;
  for (int i = 0; i < ndups; ++i) {
    for (int k = 0; k < rounds; ++k) {
      int mine = rank + i + k;
      MPI_Allgather(&mine, 1, MPI_INT, all, 1, MPI_INT, comms[i]);
      for (int r = 0; r < size; ++r) sum += all[r];
    }
  }
  for (int i = 0; i < ndups; ++i) MPI_Comm_free(&comms[i]);
  if (rank == 0) printf("comm_flood: sum %ld\n", sum);
  free(all);
  free(comms);
  MPI_Finalize();
  return 0;
}
