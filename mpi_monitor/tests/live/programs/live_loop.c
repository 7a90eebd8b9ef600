/* A known loop for the live-table tests: rank 0 sends 8-byte messages to rank 1 in batches
 * of `batch`, sleeping `pause_ms` after each; after every batch it appends "sent <total>" to
 * the progress file (write(2), so the line is in the file before the next batch starts).
 *   live_loop <batches (0: forever)> <batch> <pause_ms> <progress file> [threads] [fork]
 * With threads > 1 (MPI_THREAD_MULTIPLE) each of rank 0's threads sends batch messages per batch
 * on its own tag. With "fork", rank 0 forks a child after the first batch that sleeps 50 ms and
 * exits without touching MPI. With "exit", every rank ends with exit(0) without MPI_Finalize
 * (an erroneous program: the sampling thread must not keep it alive). */
#include <fcntl.h>
#include <mpi.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long g_batch;
static int g_rank;

struct Worker {
  int tag;
};

static void* send_batch(void* arg) {
  const struct Worker* w = arg;
  int64_t v = 0;
  for (long i = 0; i < g_batch; ++i) {
    v = i;
    if (g_rank == 0) MPI_Send(&v, 1, MPI_INT64_T, 1, w->tag, MPI_COMM_WORLD);
    else MPI_Recv(&v, 1, MPI_INT64_T, 0, w->tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
  return NULL;
}

static void pause_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: live_loop batches batch pause_ms progress [threads] [fork]\n");
    return 2;
  }
  const long batches = atol(argv[1]);
  g_batch = atol(argv[2]);
  const long pause = atol(argv[3]);
  const int threads = argc > 5 ? atoi(argv[5]) : 1;
  const int do_fork = argc > 6 && strcmp(argv[6], "fork") == 0;
  const int no_finalize = argc > 6 && strcmp(argv[6], "exit") == 0;
  int provided = 0;
  MPI_Init_thread(&argc, &argv, threads > 1 ? MPI_THREAD_MULTIPLE : MPI_THREAD_SINGLE, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  int progress = -1;
  if (g_rank == 0) progress = open(argv[4], O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
  long total = 0;
  for (long b = 0; batches == 0 || b < batches; ++b) {
    struct Worker w[16];
    pthread_t t[16];
    const int n = threads < 16 ? threads : 16;
    for (int i = 0; i < n; ++i) {
      w[i].tag = i;
      if (n > 1) pthread_create(&t[i], NULL, send_batch, &w[i]);
      else send_batch(&w[i]);
    }
    if (n > 1)
      for (int i = 0; i < n; ++i) pthread_join(t[i], NULL);
    total += g_batch * n;
    if (g_rank == 0) {
      char line[64];
      int len = snprintf(line, sizeof line, "sent %ld\n", total);
      if (write(progress, line, (size_t)len) != len) return 3;
      if (do_fork && b == 0) {
        pid_t child = fork();
        if (child == 0) {
          pause_ms(50);
          _exit(0);
        }
        waitpid(child, NULL, 0);
      }
    }
    if (pause > 0) pause_ms(pause);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (no_finalize) exit(0);
  MPI_Finalize();
  return 0;
}
