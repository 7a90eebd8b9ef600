/* Observer for bench/mpi_overhead.sh: a second preloaded library, placed AFTER
 * libhpcmon_mpi.so in LD_PRELOAD, that interposes the PMPI_* entry points the preload uses
 * for its own traffic (the application's MPI_* calls do not reach PMPI_* symbols in Open MPI)
 * and counts the bytes this rank sends through them. At MPI_Finalize (which the preload
 * chains to with dlsym(RTLD_NEXT), so it reaches this library after its own report) or
 * PMPI_Finalize, each rank prints
 *   hpcmon_observer rank <r> tool_sent_bytes=<n> tool_calls=<c>
 * on stderr. Bytes are what the rank contributes: send buffers of point-to-point calls, the
 * send part of gathers, the reduced vector of reductions, the root's buffer of a broadcast. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <mpi.h>
#include <stdio.h>

static unsigned long long sent_bytes, tool_calls;

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

static long long type_bytes(int count, MPI_Datatype type) {
  int size = 0;
  if (count <= 0 || type == MPI_DATATYPE_NULL) return 0;
  NEXT(PMPI_Type_size)(type, &size);
  return (long long)count * size;
}

static int my_rank(MPI_Comm comm) {
  int r = 0;
  NEXT(PMPI_Comm_rank)(comm, &r);
  return r;
}

int PMPI_Send(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm) {
  ++tool_calls;
  if (dest != MPI_PROC_NULL) sent_bytes += type_bytes(count, type);
  return NEXT(PMPI_Send)(buf, count, type, dest, tag, comm);
}

int PMPI_Isend(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm,
               MPI_Request *req) {
  ++tool_calls;
  if (dest != MPI_PROC_NULL) sent_bytes += type_bytes(count, type);
  return NEXT(PMPI_Isend)(buf, count, type, dest, tag, comm, req);
}

int PMPI_Sendrecv(const void *sbuf, int scount, MPI_Datatype stype, int dest, int stag, void *rbuf,
                  int rcount, MPI_Datatype rtype, int source, int rtag, MPI_Comm comm,
                  MPI_Status *status) {
  ++tool_calls;
  if (dest != MPI_PROC_NULL) sent_bytes += type_bytes(scount, stype);
  return NEXT(PMPI_Sendrecv)(sbuf, scount, stype, dest, stag, rbuf, rcount, rtype, source, rtag,
                             comm, status);
}

int PMPI_Gather(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, int rcount,
                MPI_Datatype rtype, int root, MPI_Comm comm) {
  ++tool_calls;
  if (sbuf != MPI_IN_PLACE) sent_bytes += type_bytes(scount, stype);
  return NEXT(PMPI_Gather)(sbuf, scount, stype, rbuf, rcount, rtype, root, comm);
}

int PMPI_Gatherv(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, const int *rcounts,
                 const int *displs, MPI_Datatype rtype, int root, MPI_Comm comm) {
  ++tool_calls;
  if (sbuf != MPI_IN_PLACE) sent_bytes += type_bytes(scount, stype);
  return NEXT(PMPI_Gatherv)(sbuf, scount, stype, rbuf, rcounts, displs, rtype, root, comm);
}

int PMPI_Allgather(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, int rcount,
                   MPI_Datatype rtype, MPI_Comm comm) {
  ++tool_calls;
  if (sbuf != MPI_IN_PLACE) sent_bytes += type_bytes(scount, stype);
  return NEXT(PMPI_Allgather)(sbuf, scount, stype, rbuf, rcount, rtype, comm);
}

int PMPI_Reduce(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op, int root,
                MPI_Comm comm) {
  ++tool_calls;
  sent_bytes += type_bytes(count, type);
  return NEXT(PMPI_Reduce)(sbuf, rbuf, count, type, op, root, comm);
}

int PMPI_Allreduce(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op,
                   MPI_Comm comm) {
  ++tool_calls;
  sent_bytes += type_bytes(count, type);
  return NEXT(PMPI_Allreduce)(sbuf, rbuf, count, type, op, comm);
}

int PMPI_Bcast(void *buf, int count, MPI_Datatype type, int root, MPI_Comm comm) {
  ++tool_calls;
  if (my_rank(comm) == root) sent_bytes += type_bytes(count, type);
  return NEXT(PMPI_Bcast)(buf, count, type, root, comm);
}

static void report(void) {
  static int reported;
  if (reported++) return;
  int rank = 0;
  NEXT(PMPI_Comm_rank)(MPI_COMM_WORLD, &rank);
  fprintf(stderr, "hpcmon_observer rank %d tool_sent_bytes=%llu tool_calls=%llu\n", rank,
          sent_bytes, tool_calls);
}

int MPI_Finalize(void) {
  report();
  return NEXT(MPI_Finalize)();
}

int PMPI_Finalize(void) {
  report();
  return NEXT(PMPI_Finalize)();
}
