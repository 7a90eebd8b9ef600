/* Micro benchmark of the MPI preload's cost per call, 2 ranks. Prints one line per case:
 *   <case> <ns per call>
 * send_proc_null : MPI_Send of 1 int to MPI_PROC_NULL, rank 0 only (a timed call)
 * test_poll      : MPI_Test on a receive that stays pending, rank 0 only (a polling call)
 * pingpong_0     : 0-byte ping-pong, one-way time per message
 * pingpong_8     : 8-byte ping-pong, one-way time per message
 * private_dirty_kib_rank0, _rank1 : Private_Dirty of /proc/self/smaps_rollup after the cases
 * Usage: mpi_overhead_calls [calls per case]   (default 2,000,000; ping-pong uses 1/10) */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static long private_dirty_kib(void) {
  FILE *f = fopen("/proc/self/smaps_rollup", "r");
  if (!f) return -1;
  char line[256];
  long kib = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "Private_Dirty: %ld kB", &kib) == 1) break;
  fclose(f);
  return kib;
}

static double pingpong(int rank, int bytes, long rounds) {
  char buf[8] = {0};
  const int peer = 1 - rank;
  MPI_Barrier(MPI_COMM_WORLD);
  const double t0 = now_ns();
  for (long i = 0; i < rounds; ++i) {
    if (rank == 0) {
      MPI_Send(buf, bytes, MPI_BYTE, peer, 1, MPI_COMM_WORLD);
      MPI_Recv(buf, bytes, MPI_BYTE, peer, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
      MPI_Recv(buf, bytes, MPI_BYTE, peer, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(buf, bytes, MPI_BYTE, peer, 1, MPI_COMM_WORLD);
    }
  }
  return (now_ns() - t0) / (2.0 * rounds);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  const long calls = argc > 1 ? atol(argv[1]) : 2000000;
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size != 2) {
    if (rank == 0) fprintf(stderr, "mpi_overhead_calls: needs 2 ranks\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  int value = 1;

  /* Warm-up of every path, so the first case does not pay lazy initialisation. */
  for (int i = 0; i < 1000; ++i) MPI_Send(&value, 1, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD);
  pingpong(rank, 8, 1000);

  if (rank == 0) {
    double t0 = now_ns();
    for (long i = 0; i < calls; ++i) MPI_Send(&value, 1, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD);
    printf("send_proc_null %.2f\n", (now_ns() - t0) / calls);

    /* Rank 1 sends only after rank 0 has finished polling and says "go". */
    int incoming = 0, flag = 0, go = 1;
    MPI_Request pending;
    MPI_Irecv(&incoming, 1, MPI_INT, 1, 2, MPI_COMM_WORLD, &pending);
    t0 = now_ns();
    for (long i = 0; i < calls; ++i) MPI_Test(&pending, &flag, MPI_STATUS_IGNORE);
    const double test_ns = (now_ns() - t0) / calls;
    MPI_Send(&go, 1, MPI_INT, 1, 3, MPI_COMM_WORLD);
    MPI_Wait(&pending, MPI_STATUS_IGNORE);
    printf("test_poll %.2f\n", flag ? -1.0 : test_ns);
  } else {
    int go = 0;
    MPI_Recv(&go, 1, MPI_INT, 0, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Send(&value, 1, MPI_INT, 0, 2, MPI_COMM_WORLD);
  }

  const double pp0 = pingpong(rank, 0, calls / 10);
  const double pp8 = pingpong(rank, 8, calls / 10);
  long dirty = private_dirty_kib(), other = -1;
  if (rank == 1) MPI_Send(&dirty, 1, MPI_LONG, 0, 4, MPI_COMM_WORLD);
  if (rank == 0) {
    MPI_Recv(&other, 1, MPI_LONG, 1, 4, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    printf("pingpong_0 %.2f\npingpong_8 %.2f\n", pp0, pp8);
    printf("private_dirty_kib_rank0 %ld\nprivate_dirty_kib_rank1 %ld\n", dirty, other);
    fflush(stdout);
  }
  MPI_Finalize();
  return 0;
}
