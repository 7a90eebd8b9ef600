/* Shared parts of the diagnosis test programs: each program plants ONE pathology whose rank
 * and size come from the environment at run time (PLANT_RANK, PLANT_MS, PLANT_COUNT,
 * PLANT_MB), so the test knows what the analysis must find. Compute is a busy loop on the
 * monotonic clock (on the CPU, outside MPI), never MPI_Wtime (an MPI call of its own). */
#pragma once
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double plant_env(const char *name, double fallback) {
  const char *v = getenv(name);
  return v && *v ? atof(v) : fallback;
}

static inline int plant_rank(void) { return (int)plant_env("PLANT_RANK", 1); }
static inline double plant_ms(void) { return plant_env("PLANT_MS", 400); }
static inline long plant_count(void) { return (long)plant_env("PLANT_COUNT", 100000); }
static inline long plant_mb(void) { return (long)plant_env("PLANT_MB", 256); }

static inline double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Busy work for `ms` milliseconds; returns a value so the loop is not optimised away. */
static inline double spin_ms(double ms) {
  const double end = now_ms() + ms;
  double x = 1.0;
  while (now_ms() < end)
    for (int i = 0; i < 1000; ++i) x = x * 1.0000001 + 1e-9;
  return x;
}

static inline void plant_start(int *argc, char ***argv, int *rank, int *size) {
  MPI_Init(argc, argv);
  MPI_Comm_rank(MPI_COMM_WORLD, rank);
  MPI_Comm_size(MPI_COMM_WORLD, size);
  if (plant_rank() < 0 || plant_rank() >= *size) {
    if (*rank == 0) fprintf(stderr, "PLANT_RANK %d outside 0..%d\n", plant_rank(), *size - 1);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
}
