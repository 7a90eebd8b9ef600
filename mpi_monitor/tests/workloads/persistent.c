/* Known-traffic workload: persistent requests, 2 ranks. Bytes and messages are counted
 * when a request is started, never at MPI_Send_init / MPI_Recv_init.
 * Rank 0 gathers one checksum per rank and prints it with %a.
 * Expected calls, bytes and traffic: persistent.expected (same folder). */
#include <mpi.h>
#include <stdio.h>

enum { kRanks = 2, kStartallRounds = 5, kStartRounds = 3 };

static double checksum;

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size != kRanks) {
    if (rank == 0) fprintf(stderr, "persistent: needs exactly %d ranks\n", kRanks);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  const int partner = 1 - rank;

  /* 1. MPI_Send_init + MPI_Recv_init of 16 doubles (128 B), MPI_Startall + MPI_Waitall, 5 rounds. */
  double out[16], in[16];
  MPI_Request pair[2];
  MPI_Recv_init(in, 16, MPI_DOUBLE, partner, 20, MPI_COMM_WORLD, &pair[0]);
  MPI_Send_init(out, 16, MPI_DOUBLE, partner, 20, MPI_COMM_WORLD, &pair[1]);
  for (int round = 0; round < kStartallRounds; ++round) {
    for (int i = 0; i < 16; ++i) out[i] = rank * 100.0 + round * 16 + i / 4.0;
    MPI_Startall(2, pair);
    MPI_Status st[2];
    MPI_Waitall(2, pair, st);
    for (int i = 0; i < 16; ++i) checksum = checksum * 1.0000001 + in[i];
  }

  /* 2. MPI_Ssend_init of 3 ints (12 B) + MPI_Recv_init posted for 10 ints, MPI_Start each
   *    and MPI_Wait each, 3 rounds. */
  int iout[3], iin[10];
  MPI_Request ssend, recv;
  MPI_Recv_init(iin, 10, MPI_INT, partner, 21, MPI_COMM_WORLD, &recv);
  MPI_Ssend_init(iout, 3, MPI_INT, partner, 21, MPI_COMM_WORLD, &ssend);
  for (int round = 0; round < kStartRounds; ++round) {
    for (int i = 0; i < 3; ++i) iout[i] = rank * 1000 + round * 10 + i;
    MPI_Start(&recv);
    MPI_Start(&ssend);
    MPI_Status st;
    MPI_Wait(&ssend, MPI_STATUS_IGNORE);
    MPI_Wait(&recv, &st);
    for (int i = 0; i < 3; ++i) checksum = checksum * 1.0000001 + iin[i];
  }

  MPI_Request_free(&pair[0]);
  MPI_Request_free(&pair[1]);
  MPI_Request_free(&recv);
  MPI_Request_free(&ssend);

  double all[kRanks];
  MPI_Gather(&checksum, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (rank == 0)
    for (int r = 0; r < kRanks; ++r) printf("persistent rank %d checksum %a\n", r, all[r]);
  MPI_Finalize();
  return 0;
}
