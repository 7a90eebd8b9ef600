/* Micro benchmark of MPI tracing (docs/tracing.md), bench/trace_bench.sh runs it. Prints:
 *   send_proc_null <ns>   MPI_Send of 1 int to MPI_PROC_NULL on every rank (a timed, traced call)
 *   pingpong_8 <ns>       8-byte ping-pong between ranks 0 and 1, one-way time per message
 *   calls_per_rank <n>    MPI calls rank 0 made (what the trace holds when tracing)
 *   finalize_ms <ms>      rank 0's MPI_Finalize (with tracing: the trace merge and write)
 *   finalize_cpu_ms <ms>  CPU time rank 0 used in it (the rest of its wall time it waited or was
 *                         kept off the cores by other load)
 *   waiter_cpu_ms <ms>    CPU time another rank used in its MPI_Finalize (one line per rank
 *                         but 0): what waiting for rank 0 takes from the cores it needs
 * Usage: trace_bench [calls (default 1,000,000; ping-pong uses 1/10)] */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double clock_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}
static double now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const long calls = argc > 1 ? atol(argv[1]) : 1000000;
  const long rounds = calls / 10;
  int one = 1;
  char buf[8] = {0};
  MPI_Barrier(MPI_COMM_WORLD);
  double t0 = now_ns();
  for (long i = 0; i < calls; ++i) MPI_Send(&one, 1, MPI_INT, MPI_PROC_NULL, 1, MPI_COMM_WORLD);
  const double send_ns = (now_ns() - t0) / (double)calls;
  MPI_Barrier(MPI_COMM_WORLD);
  t0 = now_ns();
  if (rank < 2) {
    const int peer = 1 - rank;
    for (long i = 0; i < rounds; ++i) {
      if (rank == 0) {
        MPI_Send(buf, 8, MPI_BYTE, peer, 1, MPI_COMM_WORLD);
        MPI_Recv(buf, 8, MPI_BYTE, peer, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      } else {
        MPI_Recv(buf, 8, MPI_BYTE, peer, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Send(buf, 8, MPI_BYTE, peer, 1, MPI_COMM_WORLD);
      }
    }
  }
  const double pp_ns = (now_ns() - t0) / (2.0 * (double)rounds);
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) {
    printf("send_proc_null %.2f\npingpong_8 %.2f\ncalls_per_rank %ld\n", send_ns, pp_ns, 2 + calls + 2 * rounds + 3);
    fflush(stdout);
  }
  t0 = now_ns();
  const double cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
  MPI_Finalize();
  if (rank == 0)
    printf("finalize_ms %.2f\nfinalize_cpu_ms %.2f\n", (now_ns() - t0) / 1e6, (clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / 1e6);
  else printf("waiter_cpu_ms %.2f\n", (clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / 1e6);
  return 0;
}
