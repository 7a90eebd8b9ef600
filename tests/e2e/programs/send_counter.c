/* A running MPI job that says how far it got: rank 0 sends 8-byte messages to rank 1, one
 * about every millisecond, and at every whole second after MPI_Init appends "sent <total>" to
 * the progress file (write(2): the line is in the file before the next send) and prints it.
 * Runs until killed, or for <seconds> when given.   usage: send_counter <progress file> [seconds] */
#include <fcntl.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: send_counter <progress file> [seconds]\n");
    return 2;
  }
  const double seconds = argc > 2 ? atof(argv[2]) : 0;
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size < 2) MPI_Abort(MPI_COMM_WORLD, 2);
  int progress = rank == 0 ? open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644) : -1;
  const double start = now_s();
  double next_report = start + 1;
  long sent = 0;
  long value = 0;
  const struct timespec pause = {0, 1000000};
  while (seconds <= 0 || now_s() - start < seconds) {
    if (rank == 0) {
      MPI_Send(&value, 1, MPI_LONG, 1, 0, MPI_COMM_WORLD);
      ++sent;
      nanosleep(&pause, NULL);
      if (now_s() >= next_report) {
        char line[64];
        const int n = snprintf(line, sizeof line, "sent %ld\n", sent);
        if (progress >= 0 && write(progress, line, (size_t)n) != n) MPI_Abort(MPI_COMM_WORLD, 3);
        fputs(line, stdout);
        fflush(stdout);
        next_report += 1;
      }
      value = sent;
    } else if (rank == 1) {
      MPI_Status status;
      MPI_Recv(&value, 1, MPI_LONG, 0, 0, MPI_COMM_WORLD, &status);
      if (seconds > 0 && value < 0) break;
    } else {
      break;
    }
  }
  if (rank == 0 && seconds > 0) {
    value = -1;
    MPI_Send(&value, 1, MPI_LONG, 1, 0, MPI_COMM_WORLD);
  }
  MPI_Finalize();
  return 0;
}
