/* Dynamic processes: 2 parents spawn 2 children (a second MPI world). Each parent sends 4
 * doubles to the child of its rank over the intercommunicator, then both sides merge it and
 * every process sends 2 doubles to merged rank (r + 2) mod 4, i.e. across the worlds.
 * Parent r -> child r: 32 + 16 bytes in 2 messages; child r -> parent r: 16 bytes in 1. */
#include <mpi.h>
#include <stdio.h>
int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm parent; MPI_Comm_get_parent(&parent);
  int rank; MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  double buf[4] = {1,2,3,4};
  if (parent == MPI_COMM_NULL) {
    MPI_Comm inter; int errs[2];
    MPI_Comm_spawn(argv[0], MPI_ARGV_NULL, 2, MPI_INFO_NULL, 0, MPI_COMM_WORLD, &inter, errs);
    MPI_Send(buf, 4, MPI_DOUBLE, rank, 0, inter);   /* to child with same rank */
    MPI_Comm merged; MPI_Intercomm_merge(inter, 0, &merged);
    int msize; MPI_Comm_size(merged, &msize);
    MPI_Send(buf, 2, MPI_DOUBLE, (rank + 2) % msize, 1, merged);
    MPI_Recv(buf, 2, MPI_DOUBLE, MPI_ANY_SOURCE, 1, merged, MPI_STATUS_IGNORE);
    MPI_Comm_free(&merged); MPI_Comm_disconnect(&inter);
    printf("parent %d done\n", rank);
  } else {
    MPI_Recv(buf, 4, MPI_DOUBLE, rank, 0, parent, MPI_STATUS_IGNORE);
    MPI_Comm merged; MPI_Intercomm_merge(parent, 1, &merged);
    int mrank, msize; MPI_Comm_rank(merged, &mrank); MPI_Comm_size(merged, &msize);
    MPI_Send(buf, 2, MPI_DOUBLE, (mrank + 2) % msize, 1, merged);
    MPI_Recv(buf, 2, MPI_DOUBLE, MPI_ANY_SOURCE, 1, merged, MPI_STATUS_IGNORE);
    MPI_Comm_free(&merged); MPI_Comm_disconnect(&parent);
  }
  MPI_Finalize();
}
