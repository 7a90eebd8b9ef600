/* Known-traffic workload: the other families of docs/byte-accounting.md, 4 ranks.
 *   1. MPI_Ibsend / MPI_Issend / MPI_Irsend to the partner (rank ^ 1), one MPI_Waitall
 *   2. matched probes: MPI_Mprobe + MPI_Mrecv, MPI_Improbe loop + MPI_Imrecv + MPI_Wait
 *   3. neighbourhood collectives on a periodic 1-D Cartesian ring (out-degree 2)
 *   4. one-sided: MPI_Put, MPI_Get, MPI_Accumulate, MPI_Fetch_and_op between fences
 *   5. file I/O on MPI_COMM_SELF: MPI_File_write_at and MPI_File_read_at of 10 ints
 * Rank 0 gathers one checksum per rank and prints it with %a.
 * Expected calls, bytes and traffic: more_families.expected (same folder). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "workload.h"

enum { kRanks = 4 };

int main(int argc, char **argv) {
  int rank, size;
  workload_start(&argc, &argv, kRanks, "more_families", &rank, &size);
  const int partner = rank ^ 1, next = (rank + 1) % kRanks, prev = (rank + kRanks - 1) % kRanks;
  MPI_Request req[6];

  /* 1. Receives posted first and a barrier, so the ready send is legal. */
  {
    static char attached[256 + MPI_BSEND_OVERHEAD];
    MPI_Buffer_attach(attached, (int)sizeof attached);
    int in1[2], in2[3], in3[4], out1[2] = {rank, 1}, out2[3] = {rank, 2, 3}, out3[4] = {rank, 4, 5, 6};
    MPI_Irecv(in1, 2, MPI_INT, partner, 1, MPI_COMM_WORLD, &req[0]);
    MPI_Irecv(in2, 3, MPI_INT, partner, 2, MPI_COMM_WORLD, &req[1]);
    MPI_Irecv(in3, 4, MPI_INT, partner, 3, MPI_COMM_WORLD, &req[2]);
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Ibsend(out1, 2, MPI_INT, partner, 1, MPI_COMM_WORLD, &req[3]);
    MPI_Issend(out2, 3, MPI_INT, partner, 2, MPI_COMM_WORLD, &req[4]);
    MPI_Irsend(out3, 4, MPI_INT, partner, 3, MPI_COMM_WORLD, &req[5]);
    MPI_Status st[6];
    MPI_Waitall(6, req, st);
    fold_i(in1, 2);
    fold_i(in2, 3);
    fold_i(in3, 4);
    void *detached;
    int detached_size;
    MPI_Buffer_detach(&detached, &detached_size);
  }

  /* 2. Two messages to next (5 and 6 doubles), taken from prev by matched probes. */
  {
    double five[5], six[6], in5[5], in6[6];
    for (int i = 0; i < 6; ++i) six[i] = rank * 6.0 + i, five[i % 5] = rank * 5.0 - i;
    MPI_Isend(five, 5, MPI_DOUBLE, next, 4, MPI_COMM_WORLD, &req[0]);
    MPI_Isend(six, 6, MPI_DOUBLE, next, 5, MPI_COMM_WORLD, &req[1]);
    MPI_Message msg;
    MPI_Status st;
    MPI_Mprobe(prev, 4, MPI_COMM_WORLD, &msg, &st);
    MPI_Mrecv(in5, 5, MPI_DOUBLE, &msg, &st);
    int flag = 0;
    while (!flag) MPI_Improbe(prev, 5, MPI_COMM_WORLD, &flag, &msg, &st);
    MPI_Imrecv(in6, 6, MPI_DOUBLE, &msg, &req[2]);
    MPI_Wait(&req[2], &st);
    MPI_Waitall(2, req, MPI_STATUSES_IGNORE);
    fold_d(in5, 5);
    fold_d(in6, 6);
  }

  /* 3. Periodic ring of 4: every rank has 2 neighbours. */
  {
    MPI_Comm ring;
    const int dims[1] = {kRanks}, periods[1] = {1};
    MPI_Cart_create(MPI_COMM_WORLD, 1, dims, periods, 0, &ring);
    double one = rank + 0.5, two_in[2];
    MPI_Neighbor_allgather(&one, 1, MPI_DOUBLE, two_in, 1, MPI_DOUBLE, ring);
    fold_d(two_in, 2);
    int three[6], three_in[6];
    for (int i = 0; i < 6; ++i) three[i] = rank * 10 + i;
    MPI_Neighbor_alltoall(three, 3, MPI_INT, three_in, 3, MPI_INT, ring);
    fold_i(three_in, 6);
    const int scounts[2] = {1, 2}, sdispls[2] = {0, 1}, rcounts[2] = {2, 1}, rdispls[2] = {0, 2};
    int v_in[3];
    MPI_Neighbor_alltoallv(three, scounts, sdispls, MPI_INT, v_in, rcounts, rdispls, MPI_INT, ring);
    fold_i(v_in, 3);
    MPI_Comm_free(&ring);
  }

  /* 4. A window of 8 doubles per rank; four access epochs on distinct locations. */
  {
    double window[8], got[3], old;
    for (int i = 0; i < 8; ++i) window[i] = rank * 8.0 + i;
    MPI_Win win;
    MPI_Win_create(window, sizeof window, sizeof(double), MPI_INFO_NULL, MPI_COMM_WORLD, &win);
    MPI_Win_fence(0, win);
    const double put[2] = {rank + 0.25, rank + 0.75}, add = 1.5, inc = 2.0;
    MPI_Put(put, 2, MPI_DOUBLE, next, 0, 2, MPI_DOUBLE, win);
    MPI_Win_fence(0, win);
    MPI_Get(got, 3, MPI_DOUBLE, prev, 4, 3, MPI_DOUBLE, win);
    MPI_Accumulate(&add, 1, MPI_DOUBLE, next, 7, 1, MPI_DOUBLE, MPI_SUM, win);
    MPI_Win_fence(0, win);
    MPI_Fetch_and_op(&inc, &old, MPI_DOUBLE, next, 7, MPI_SUM, win);
    MPI_Win_fence(0, win);
    MPI_Win_free(&win);
    fold_d(window, 8);
    fold_d(got, 3);
    fold_d(&old, 1);
  }

  /* 5. A private scratch file per rank, deleted on close. */
  {
    char path[128];
    snprintf(path, sizeof path, "/tmp/hpcmon-more-families-%ld-%d.dat", (long)getpid(), rank);
    MPI_File file;
    MPI_File_open(MPI_COMM_SELF, path, MPI_MODE_CREATE | MPI_MODE_RDWR | MPI_MODE_DELETE_ON_CLOSE,
                  MPI_INFO_NULL, &file);
    int ten[10], back[10];
    for (int i = 0; i < 10; ++i) ten[i] = rank * 100 + i;
    MPI_File_write_at(file, 0, ten, 10, MPI_INT, MPI_STATUS_IGNORE);
    MPI_File_read_at(file, 0, back, 10, MPI_INT, MPI_STATUS_IGNORE);
    MPI_File_close(&file);
    fold_i(back, 10);
  }

  double all[kRanks];
  MPI_Gather(&checksum, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (rank == 0)
    for (int r = 0; r < kRanks; ++r) printf("more_families rank %d checksum %a\n", r, all[r]);
  MPI_Finalize();
  return 0;
}
