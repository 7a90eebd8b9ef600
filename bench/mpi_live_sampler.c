/* CPU cost of the preload's sampling thread (docs/live-table.md). Every rank runs a steady,
 * mostly idle workload for `seconds` (a burst of MPI_Send to MPI_PROC_NULL every 10 ms, so the
 * tables the sampler sums are in use), then reads its own threads' on-CPU time from
 * /proc/self/task/<tid>/schedstat and prints, before MPI_Finalize:
 *   sampler_cpu_ns <ns>   the thread named hpcmon-sampler (0 when there is none)
 *   process_cpu_ns <ns>   all threads of the rank
 *   elapsed_ns <ns>
 * Usage: mpi_live_sampler <seconds> */
#include <dirent.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int read_line(const char* path, char* buf, size_t cap) {
  FILE* f = fopen(path, "r");
  if (!f) return 0;
  int ok = fgets(buf, (int)cap, f) != NULL;
  fclose(f);
  return ok;
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const double seconds = argc > 1 ? atof(argv[1]) : 10.0;
  const long long start = now_ns(), end = start + (long long)(seconds * 1e9);
  int v = 0;
  while (now_ns() < end) {
    for (int i = 0; i < 1000; ++i) MPI_Send(&v, 1, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD);
    struct timespec pause = {0, 10 * 1000000L};
    nanosleep(&pause, NULL);
  }
  const long long elapsed = now_ns() - start;
  long long sampler = 0, process = 0;
  DIR* d = opendir("/proc/self/task");
  struct dirent* e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[256], comm[64] = "", stat[256] = "";
    snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
    read_line(path, comm, sizeof comm);
    snprintf(path, sizeof path, "/proc/self/task/%s/schedstat", e->d_name);
    if (!read_line(path, stat, sizeof stat)) continue;
    long long run = atoll(stat);
    process += run;
    if (strncmp(comm, "hpcmon-sampler", 14) == 0) sampler += run;
  }
  if (d) closedir(d);
  if (rank == 0) printf("sampler_cpu_ns %lld\nprocess_cpu_ns %lld\nelapsed_ns %lld\n", sampler, process, elapsed);
  MPI_Finalize();
  return 0;
}
