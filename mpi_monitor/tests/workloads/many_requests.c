/* Known-traffic workload: completion calls over more requests than the preload's local
 * status storage (64), and byte counts beyond 32 bits, 2 ranks.
 *   A  100 receives posted for 4 ints, 100 sends of 1 int each way, one
 *      MPI_Waitall(200, MPI_STATUSES_IGNORE): bytes from the statuses, in chunks of 64.
 *   B  the same completed by an MPI_Testall(200, MPI_STATUSES_IGNORE) loop: beyond 64
 *      requests the rule counts the posted size instead.
 *   C  MPI_Bcast of 2^31 - 1 elements of a 16-byte type and an in-place MPI_Allreduce of
 *      2^31 - 1 doubles on MPI_COMM_SELF (Open MPI's self component moves nothing, so no
 *      memory is needed): bytes that overflow 32 bits.
 * Rank 0 gathers one checksum per rank and prints it with %a.
 * Expected calls, bytes and traffic: many_requests.expected (same folder). */
#include <mpi.h>
#include <stdio.h>

enum { kRanks = 2, kMessages = 100, kPosted = 4 };

static double checksum;

static void exchange(int partner, int tag, int rank, int use_testall) {
  static int in[kMessages][kPosted], out[kMessages];
  MPI_Request req[2 * kMessages];
  for (int i = 0; i < kMessages; ++i) {
    out[i] = rank * 1000 + tag * 100 + i;
    MPI_Irecv(in[i], kPosted, MPI_INT, partner, tag, MPI_COMM_WORLD, &req[i]);
  }
  for (int i = 0; i < kMessages; ++i)
    MPI_Isend(&out[i], 1, MPI_INT, partner, tag, MPI_COMM_WORLD, &req[kMessages + i]);
  if (use_testall) {
    int flag = 0;
    while (!flag) MPI_Testall(2 * kMessages, req, &flag, MPI_STATUSES_IGNORE);
  } else {
    MPI_Waitall(2 * kMessages, req, MPI_STATUSES_IGNORE);
  }
  for (int i = 0; i < kMessages; ++i) checksum = checksum * 1.0000001 + in[i][0];
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size != kRanks) {
    if (rank == 0) fprintf(stderr, "many_requests: needs exactly %d ranks\n", kRanks);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  const int partner = 1 - rank;

  exchange(partner, 1, rank, 0); /* A */
  exchange(partner, 2, rank, 1); /* B */

  /* C */
  MPI_Datatype sixteen;
  MPI_Type_contiguous(16, MPI_BYTE, &sixteen);
  MPI_Type_commit(&sixteen);
  char small[16] = {0};
  double one = rank + 0.5;
  MPI_Bcast(small, 2147483647, sixteen, 0, MPI_COMM_SELF);
  MPI_Allreduce(MPI_IN_PLACE, &one, 2147483647, MPI_DOUBLE, MPI_SUM, MPI_COMM_SELF);
  MPI_Type_free(&sixteen);
  checksum += one;

  double all[kRanks];
  MPI_Gather(&checksum, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (rank == 0)
    for (int r = 0; r < kRanks; ++r) printf("many_requests rank %d checksum %a\n", r, all[r]);
  MPI_Finalize();
  return 0;
}
