/* An MPI program under both preloads (libhpcmon_mpi.so and libhpcmon_mem.so): every rank leaks
   MEMPROF_TEST_BLOCKS blocks of MEMPROF_TEST_SIZE bytes from planted_mpi_leak(), moves real data
   (a reduction and a ring exchange of 1 MiB buffers through shared memory, which exercises Open
   MPI's memory hooks), and prints results the test checks. With MEMPROF_TEST_ABORT_RANK=R, rank R
   calls MPI_Abort(MPI_COMM_WORLD, 5) after its leak instead. */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "planted.h"

static void* volatile sink;

__attribute__((noinline)) void planted_mpi_leak(size_t blocks, size_t size) {
  for (size_t i = 0; i < blocks; ++i) sink = malloc(size);
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  planted_mpi_leak(planted_number("MEMPROF_TEST_BLOCKS", 6), planted_number("MEMPROF_TEST_SIZE", 2048));
  long mine = rank + 1, total = 0;
  MPI_Allreduce(&mine, &total, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
  const char* abort_rank = getenv("MEMPROF_TEST_ABORT_RANK");
  if (abort_rank != NULL && *abort_rank != '\0' && atoi(abort_rank) == rank) MPI_Abort(MPI_COMM_WORLD, 5);
  const int n = 1 << 18;  /* 1 MiB of ints, allocated and freed each round */
  long checksum = 0;
  for (int round = 0; round < 4; ++round) {
    int* out = malloc(n * sizeof(int));
    int* in = malloc(n * sizeof(int));
    for (int i = 0; i < n; ++i) out[i] = rank * 1000 + round + i % 7;
    MPI_Sendrecv(out, n, MPI_INT, (rank + 1) % size, 0, in, n, MPI_INT, (rank + size - 1) % size, 0,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    for (int i = 0; i < n; ++i) checksum += in[i];
    free(out);
    free(in);
  }
  printf("rank %d sum %ld checksum %ld\n", rank, total, checksum);
  MPI_Finalize();
  return 0;
}
