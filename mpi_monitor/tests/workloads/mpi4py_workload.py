"""Known-traffic workload in Python (mpi4py), 4 ranks.

The interpreter is a guest like any other process: libmpi arrives later through mpi4py's
dlopen, and the preload still sees every call. Upper-case (buffer) methods on numpy arrays map
to one MPI call each with a known count and datatype; the lower-case (pickle) methods map to
the calls mpi4py really makes for them (step 5).
  1. Send / Recv: rank r sends 10 + r doubles to (r + 1) % 4; receives with MPI_ANY_SOURCE.
  2. Sendrecv: 3 int32 to (r + 3) % 4, from (r + 1) % 4.
  3. Bcast from rank 1: 6 int32.
  4. Allreduce: 4 doubles summed.
  5. Pickled objects through the lower-case methods, the way most mpi4py programs talk:
     comm.send is one MPI_Send of the pickle's bytes (35 here, protocol 5); comm.recv receives
     with a matched probe by default (MPI_Mprobe, MPI_Get_count, MPI_Mrecv).
  6. Gather to rank 0: 1 double per rank (the checksums), printed with float.hex().
Expected calls, bytes and traffic: mpi4py_workload.expected (same folder).
"""
from mpi4py import MPI
import numpy as np

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
if size != 4:
    raise SystemExit("mpi4py_workload: needs exactly 4 ranks")
nxt, prv = (rank + 1) % size, (rank + size - 1) % size
checksum = 0.0


def fold(values):
    global checksum
    for v in np.asarray(values, dtype=np.float64).ravel():
        checksum = checksum * 1.0000001 + float(v)


out = np.arange(10 + rank, dtype=np.float64) * 0.5 + rank
inbuf = np.zeros(16, dtype=np.float64)
status = MPI.Status()
if rank % 2 == 0:
    comm.Send([out, MPI.DOUBLE], dest=nxt, tag=70)
    comm.Recv([inbuf, MPI.DOUBLE], source=MPI.ANY_SOURCE, tag=70, status=status)
else:
    comm.Recv([inbuf, MPI.DOUBLE], source=MPI.ANY_SOURCE, tag=70, status=status)
    comm.Send([out, MPI.DOUBLE], dest=nxt, tag=70)
fold(inbuf[: status.Get_count(MPI.DOUBLE)])

small_out = np.array([rank, 2 * rank, 3 * rank], dtype=np.int32)
small_in = np.zeros(3, dtype=np.int32)
comm.Sendrecv([small_out, MPI.INT], dest=prv, sendtag=71, recvbuf=[small_in, MPI.INT], source=nxt, recvtag=71)
fold(small_in)

six = np.arange(6, dtype=np.int32) * (7 if rank == 1 else 0)
comm.Bcast([six, MPI.INT], root=1)
fold(six)

mine = np.array([rank * 0.25, rank * 1.5, -rank, 1.0], dtype=np.float64)
total = np.zeros(4, dtype=np.float64)
comm.Allreduce([mine, MPI.DOUBLE], [total, MPI.DOUBLE], op=MPI.SUM)
fold(total)

obj = ("hpcmon", rank, [rank, 2 * rank, 3 * rank])
if rank % 2 == 0:
    comm.send(obj, dest=nxt, tag=72)
    got = comm.recv(source=prv, tag=72)
else:
    got = comm.recv(source=prv, tag=72)
    comm.send(obj, dest=nxt, tag=72)
if got[:2] != ("hpcmon", prv):
    raise SystemExit(f"mpi4py_workload: rank {rank} received {got!r}")
fold(got[2])

everyone = np.zeros(size, dtype=np.float64)
comm.Gather([np.array([checksum]), MPI.DOUBLE], [everyone, MPI.DOUBLE], root=0)
if rank == 0:
    for r in range(size):
        print(f"mpi4py_workload rank {r} checksum {float(everyone[r]).hex()}", flush=True)
