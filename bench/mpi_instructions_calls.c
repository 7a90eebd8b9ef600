/* Loop of one MPI call for instruction counts (bench/mpi_fortran_instructions.sh), the C twin of
   mpi_instructions_calls.F90: argv 1 = send | waitall | waitany, argv 2 = calls. */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  long n = atol(argv[2]); int v = 1, idx; MPI_Request nulls[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
  for (long i = 0; i < n; ++i) {
    if (!strcmp(argv[1], "send")) MPI_Send(&v, 1, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD);
    else if (!strcmp(argv[1], "waitall")) MPI_Waitall(2, nulls, MPI_STATUSES_IGNORE);
    else MPI_Waitany(2, nulls, &idx, MPI_STATUS_IGNORE);
  }
  MPI_Finalize();
  return 0;
}
