/* Known-traffic workload: non-blocking point-to-point completed by every kind of wait
 * and test, 4 ranks. Rings use next = (rank + 1) mod 4, prev = (rank + 3) mod 4.
 * Rank 0 gathers one checksum per rank and prints it with %a.
 * Expected calls, bytes and traffic: p2p_nonblocking.expected (same folder). */
#include <mpi.h>
#include <stdio.h>

enum { kRanks = 4 };

static double checksum;

static void fold(const double *v, int n) {
  for (int i = 0; i < n; ++i) checksum = checksum * 1.0000001 + v[i];
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size != kRanks) {
    if (rank == 0) fprintf(stderr, "p2p_nonblocking: needs exactly %d ranks\n", kRanks);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  const int next = (rank + 1) % kRanks, prev = (rank + kRanks - 1) % kRanks;
  const int partner = rank ^ 1;
  MPI_Request req[2 * kRanks];
  MPI_Status st[2 * kRanks];

  /* A. MPI_Wait: 8 doubles (64 B) to next, from prev. */
  {
    double out[8], in[8];
    for (int i = 0; i < 8; ++i) out[i] = rank + i / 8.0;
    MPI_Irecv(in, 8, MPI_DOUBLE, prev, 10, MPI_COMM_WORLD, &req[0]);
    MPI_Isend(out, 8, MPI_DOUBLE, next, 10, MPI_COMM_WORLD, &req[1]);
    MPI_Wait(&req[0], &st[0]);
    MPI_Wait(&req[1], MPI_STATUS_IGNORE);
    fold(in, 8);
  }

  /* B. MPI_Waitall with statuses: every rank sends (rank + 1) doubles to each of the 3 others;
   *    receives are posted for 4 doubles, so the status gives the real size. */
  {
    double out[kRanks], in[kRanks][kRanks];
    for (int i = 0; i < kRanks; ++i) out[i] = rank * 0.75 + i;
    int k = 0;
    for (int p = 0; p < kRanks; ++p)
      if (p != rank) MPI_Irecv(in[p], kRanks, MPI_DOUBLE, p, 11, MPI_COMM_WORLD, &req[k++]);
    for (int p = 0; p < kRanks; ++p)
      if (p != rank) MPI_Isend(out, rank + 1, MPI_DOUBLE, p, 11, MPI_COMM_WORLD, &req[k++]);
    MPI_Waitall(k, req, st);
    for (int p = 0; p < kRanks; ++p)
      if (p != rank) fold(in[p], p + 1);
  }

  /* C. MPI_Waitall with MPI_STATUSES_IGNORE: 2 doubles (16 B) with the partner (rank ^ 1). */
  {
    double out[2] = {rank * 2.0, rank * 3.0}, in[2];
    MPI_Irecv(in, 2, MPI_DOUBLE, partner, 12, MPI_COMM_WORLD, &req[0]);
    MPI_Isend(out, 2, MPI_DOUBLE, partner, 12, MPI_COMM_WORLD, &req[1]);
    MPI_Waitall(2, req, MPI_STATUSES_IGNORE);
    fold(in, 2);
  }

  /* D. MPI_Waitany, called exactly twice: 3 doubles (24 B) to next, from prev. */
  {
    double out[3] = {rank + 0.125, rank + 0.375, rank + 0.625}, in[3];
    MPI_Irecv(in, 3, MPI_DOUBLE, prev, 13, MPI_COMM_WORLD, &req[0]);
    MPI_Isend(out, 3, MPI_DOUBLE, next, 13, MPI_COMM_WORLD, &req[1]);
    for (int done = 0; done < 2; ++done) {
      int index;
      MPI_Waitany(2, req, &index, &st[0]);
    }
    fold(in, 3);
  }

  /* E. MPI_Waitsome until all complete: 1 double (8 B) to each of the 3 others.
   *    How many calls this takes depends on timing (1 to 6). */
  {
    double out = rank * 1.25, in[kRanks] = {0};
    int k = 0;
    for (int p = 0; p < kRanks; ++p)
      if (p != rank) MPI_Irecv(&in[p], 1, MPI_DOUBLE, p, 14, MPI_COMM_WORLD, &req[k++]);
    for (int p = 0; p < kRanks; ++p)
      if (p != rank) MPI_Isend(&out, 1, MPI_DOUBLE, p, 14, MPI_COMM_WORLD, &req[k++]);
    int left = k;
    while (left > 0) {
      int outcount, indices[2 * kRanks];
      MPI_Waitsome(k, req, &outcount, indices, st);
      left -= outcount;
    }
    fold(in, kRanks);
  }

  /* F. MPI_Test polling on a receive, then MPI_Testall on the send: 5 doubles (40 B)
   *    with the partner. Call counts depend on timing. */
  {
    double out[5], in[5];
    for (int i = 0; i < 5; ++i) out[i] = rank - i * 0.5;
    MPI_Irecv(in, 5, MPI_DOUBLE, partner, 15, MPI_COMM_WORLD, &req[0]);
    MPI_Isend(out, 5, MPI_DOUBLE, partner, 15, MPI_COMM_WORLD, &req[1]);
    int flag = 0;
    while (!flag) MPI_Test(&req[0], &flag, &st[0]);
    flag = 0;
    while (!flag) MPI_Testall(1, &req[1], &flag, MPI_STATUSES_IGNORE);
    fold(in, 5);
  }

  /* G. MPI_ANY_SOURCE on MPI_Irecv: rank r > 0 sends r doubles (8r B) to rank 0, which posts
   *    three 4-double receives from any source and completes them with MPI_Wait. */
  if (rank == 0) {
    double in[kRanks][kRanks], got[kRanks][kRanks];
    for (int k = 0; k < kRanks - 1; ++k)
      MPI_Irecv(in[k], kRanks, MPI_DOUBLE, MPI_ANY_SOURCE, 16, MPI_COMM_WORLD, &req[k]);
    for (int k = 0; k < kRanks - 1; ++k) {
      MPI_Wait(&req[k], &st[k]);
      for (int i = 0; i < st[k].MPI_SOURCE; ++i) got[st[k].MPI_SOURCE][i] = in[k][i];
    }
    for (int src = 1; src < kRanks; ++src) fold(got[src], src);
  } else {
    double out[kRanks];
    for (int i = 0; i < rank; ++i) out[i] = rank * 0.3 + i;
    MPI_Isend(out, rank, MPI_DOUBLE, 0, 16, MPI_COMM_WORLD, &req[0]);
    MPI_Wait(&req[0], MPI_STATUS_IGNORE);
  }

  /* H. MPI_Testany loop over a receive and a send: 1 double (8 B) with the partner. */
  {
    double out = rank + 0.0625, in = 0.0;
    MPI_Irecv(&in, 1, MPI_DOUBLE, partner, 17, MPI_COMM_WORLD, &req[0]);
    MPI_Isend(&out, 1, MPI_DOUBLE, partner, 17, MPI_COMM_WORLD, &req[1]);
    for (int done = 0; done < 2;) {
      int index, flag;
      MPI_Testany(2, req, &index, &flag, MPI_STATUS_IGNORE);
      if (flag && index != MPI_UNDEFINED) ++done;
    }
    fold(&in, 1);
  }

  /* I. MPI_Testsome loop: 2 doubles (16 B) to next, from prev. */
  {
    double out[2] = {rank * 4.0, rank * 5.0}, in[2];
    MPI_Irecv(in, 2, MPI_DOUBLE, prev, 18, MPI_COMM_WORLD, &req[0]);
    MPI_Isend(out, 2, MPI_DOUBLE, next, 18, MPI_COMM_WORLD, &req[1]);
    for (int left = 2; left > 0;) {
      int outcount, indices[2];
      MPI_Testsome(2, req, &outcount, indices, st);
      if (outcount != MPI_UNDEFINED) left -= outcount;
    }
    fold(in, 2);
  }

  /* J. MPI_Iprobe polling, then MPI_Recv: 3 doubles (24 B) with the partner. */
  {
    double out[3] = {rank - 0.5, rank - 0.25, rank + 0.25}, in[3];
    MPI_Isend(out, 3, MPI_DOUBLE, partner, 19, MPI_COMM_WORLD, &req[0]);
    int flag = 0;
    while (!flag) MPI_Iprobe(partner, 19, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
    MPI_Recv(in, 3, MPI_DOUBLE, partner, 19, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Wait(&req[0], MPI_STATUS_IGNORE);
    fold(in, 3);
  }

  double all[kRanks];
  MPI_Gather(&checksum, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (rank == 0)
    for (int r = 0; r < kRanks; ++r) printf("p2p_nonblocking rank %d checksum %a\n", r, all[r]);
  MPI_Finalize();
  return 0;
}
