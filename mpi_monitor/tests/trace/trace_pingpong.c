/* Known trace: rank 0 and rank 1 play ping-pong, every rank joins one barrier and one
 * allreduce. Events each rank must have in the trace (docs/tracing.md):
 *   MPI_Comm_rank 1, MPI_Comm_size 1, MPI_Barrier 1, MPI_Allreduce 1 (8 bytes), and
 *   ranks 0 and 1: ROUNDS x MPI_Send and ROUNDS x MPI_Recv; round i (0-based) sends
 *   4*(i+1) bytes with tag 100+i from 0 to 1 and back with tag 200+i.
 * Usage: trace_pingpong [ROUNDS [DELAY_MS]] (default 20, 0). With a delay, rank 0 sleeps that
 * long before its first send (rank 1 waits for it) and the last rank sleeps twice that long
 * before the barrier (every other rank waits for it at least one delay). Prints the allreduce's sum. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int rounds = argc > 1 ? atoi(argv[1]) : 20;
  const long delay_ms = argc > 2 ? atol(argv[2]) : 0;
  const struct timespec delay = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
  int buf[4096];
  for (int i = 0; i < 4096; ++i) buf[i] = i + rank;
  long long sum = 0;
  if (rank < 2 && size >= 2) {
    for (int i = 0; i < rounds && i < 4096; ++i) {
      if (rank == 0) {
        if (i == 0 && delay_ms > 0) nanosleep(&delay, NULL);
        MPI_Send(buf, i + 1, MPI_INT, 1, 100 + i, MPI_COMM_WORLD);
        MPI_Recv(buf, i + 1, MPI_INT, 1, 200 + i, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      } else {
        MPI_Status st;
        MPI_Recv(buf, i + 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
        MPI_Send(buf, i + 1, MPI_INT, 0, 200 + i, MPI_COMM_WORLD);
      }
      sum += buf[i];
    }
  }
  if (rank == size - 1 && delay_ms > 0) {  /* twice: the ping-pong itself lasts one delay */
    nanosleep(&delay, NULL);
    nanosleep(&delay, NULL);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  long long total = 0;
  MPI_Allreduce(&sum, &total, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) printf("sum %lld\n", total);
  MPI_Finalize();
  return 0;
}
